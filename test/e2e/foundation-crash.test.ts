import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { initTestHome, openVault } from '../helpers/airlock.ts';

const LOOP = join(import.meta.dirname, '..', 'fixtures', 'rotate-loop.ts');

test('SIGKILL during rotations loses no completed version and leaves the store readable', async () => {
  const home = await initTestHome();
  try {
    {
      const { vault, ws, close } = await openVault(home.paths);
      await vault.create(ws, 'LOOP', 'value-0');
      await close();
    }
    const child = spawn(process.execPath, [LOOP, home.paths.home], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let reported = 0;
    let reportedVersion = 1;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    await new Promise<void>((resolve, reject) => {
      let buffered = '';
      child.stdout.on('data', (d: Buffer) => {
        buffered += d.toString();
        let nl = buffered.indexOf('\n');
        while (nl >= 0) {
          const m = /^rotated (\d+) (\d+)$/.exec(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf('\n');
          if (m === null) continue;
          reported = Number(m[1]);
          reportedVersion = Number(m[2]);
          // Kill mid-stream, while rotations are in flight.
          if (reported === 40) child.kill('SIGKILL');
        }
      });
      child.once('close', (_code, signal) =>
        signal === 'SIGKILL'
          ? resolve()
          : reject(new Error(`child ended without SIGKILL: ${stderr}`)),
      );
    });
    assert.ok(reported >= 40, 'the child completed rotations before it was killed');

    const { vault, ws, store, close } = await openVault(home.paths);
    try {
      const meta = await vault.get(ws, 'LOOP');
      assert.ok(
        meta.currentVersion >= reportedVersion,
        `version ${meta.currentVersion} < reported ${reportedVersion}`,
      );
      assert.equal(meta.versions, meta.currentVersion, 'no version is missing');
      const value = (await vault.reveal(ws, 'LOOP')).toString();
      const n = Number(/^value-(\d+)$/.exec(value)?.[1]);
      assert.ok(n >= reported, `value-${n} is older than the last reported rotation ${reported}`);
      assert.equal(
        n + 1,
        meta.currentVersion,
        'the current version holds the value written for it',
      );
      // Every version a rotation reported is still there: nothing half-written.
      const secret = await store.getSecretByName(ws, 'LOOP');
      assert.ok(secret !== null);
      for (let v = 1; v <= meta.currentVersion; v++) {
        assert.ok(
          (await store.getSecretVersion(ws, secret.id, v)) !== null,
          `version ${v} present`,
        );
      }
    } finally {
      await close();
    }
  } finally {
    await home.cleanup();
  }
});
