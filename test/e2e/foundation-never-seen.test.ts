import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI, initTestHome, runCli } from '../helpers/airlock.ts';

/** Waits until the server's stderr says it is listening; returns the API port. */
function startServeProcess(
  home: string,
): Promise<{ port: number; output: () => string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--home', home, '--api', '127.0.0.1:0', '--proxy', '127.0.0.1:0'],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString('utf8');
      const m = /"api":"127\.0\.0\.1:(\d+)"/.exec(output);
      if (m !== null) {
        resolve({
          port: Number(m[1]),
          output: () => output,
          stop: () =>
            new Promise((done) => {
              child.once('close', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('close', (code) => reject(new Error(`serve exited ${code}: ${output}`)));
  });
}

test('a secret value never appears in the SQLite files, the server output, the CLI output or any API response', async () => {
  const home = await initTestHome();
  const value = `never-seen-${randomBytes(12).toString('hex')}`;
  const rotated = `never-seen-${randomBytes(12).toString('hex')}`;
  const server = await startServeProcess(home.paths.home);
  try {
    const h = ['--home', home.paths.home];
    const outputs: string[] = [];
    const run = async (args: string[], stdin?: string) => {
      const r = await runCli([...args, ...h], stdin === undefined ? {} : { stdin });
      outputs.push(r.stdout, r.stderr);
      assert.equal(r.code, 0, r.stderr);
      return r;
    };
    await run(['secret', 'set', 'API_TOKEN'], `${value}\n`);
    await run(['secret', 'rotate', 'API_TOKEN'], rotated);
    await run(['secret', 'list']);
    await run(['secret', 'list', '--json']);
    await run(['status', '--json']);
    await run(['apikey', 'list', '--json']);

    const base = `http://127.0.0.1:${server.port}`;
    const auth = { authorization: `Bearer ${home.ownerKey}` };
    for (const path of [
      '/healthz',
      '/v1/status',
      '/v1/secrets',
      '/v1/secrets/API_TOKEN',
      '/v1/apikeys',
    ]) {
      const res = await fetch(base + path, { headers: auth });
      assert.equal(res.status, 200, path);
      outputs.push(await res.text());
    }
    const all = outputs.join('\n');
    assert.ok(all.includes('API_TOKEN'), 'the name is shown');
    for (const v of [value, rotated]) {
      assert.ok(!all.includes(v), 'no value in CLI or API output');
      assert.ok(!server.output().includes(v), 'no value in server output');
    }
    // Read the files while the server still has them open (WAL not yet checkpointed).
    const files = (await readdir(home.paths.home)).filter((f) => f.startsWith('airlock.db'));
    assert.ok(files.length >= 1);
    for (const f of files) {
      const bytes = await readFile(join(home.paths.home, f));
      for (const v of [value, rotated])
        assert.equal(bytes.indexOf(Buffer.from(v)), -1, `${v} in ${f}`);
    }
  } finally {
    await server.stop();
  }
  const files = (await readdir(home.paths.home)).filter((f) => f.startsWith('airlock.db'));
  for (const f of files) {
    const bytes = await readFile(join(home.paths.home, f));
    for (const v of [value, rotated])
      assert.equal(bytes.indexOf(Buffer.from(v)), -1, `${v} in ${f}`);
  }
  assert.ok(!server.output().includes(value));
  await home.cleanup();
});
