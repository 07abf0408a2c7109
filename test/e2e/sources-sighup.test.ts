// SIGHUP re-resolves secret references in a running `airlock serve`, and
// the server logs entering and leaving degradation once each, by code.
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, initTestHome, runCli, type TestHome, tempDir } from '../helpers/airlock.ts';

const VALUE = 'sk_sighup_file_value_0123456789';
let home: TestHome;
let dir: { dir: string; cleanup: () => Promise<void> };
let child: ChildProcessWithoutNullStreams;
const logLines: string[] = [];
const waiters: { match: RegExp; resolve: (line: string) => void }[] = [];

function nextLog(match: RegExp): Promise<string> {
  const seen = logLines.find((l) => match.test(l));
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve) => waiters.push({ match, resolve }));
}

async function cli(args: string[], expect = 0): Promise<string> {
  const r = await runCli([...args, '--home', home.paths.home]);
  assert.equal(r.code, expect, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  home = await initTestHome();
  dir = await tempDir('airlock-sighup-');
  child = spawn(
    process.execPath,
    [CLI, 'serve', '--home', home.paths.home, '--api', '127.0.0.1:0', '--proxy', '127.0.0.1:0'],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let buffered = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    let nl = buffered.indexOf('\n');
    while (nl !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      logLines.push(line);
      for (const w of waiters.filter((x) => x.match.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
      nl = buffered.indexOf('\n');
    }
  });
  child.stdout.resume();
  await nextLog(/"msg":"listening"/);
});

after(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  await dir?.cleanup();
  await home?.cleanup();
});

test('SIGHUP re-resolves references; degradation and recovery are each logged once, never with a value', async () => {
  const file = join(dir.dir, 'token');
  await writeFile(file, VALUE, { mode: 0o644 });
  await chmod(file, 0o644);
  await cli(['secret', 'ref', 'tok', `file:${file}`]);
  await cli([
    'service',
    'add',
    'svc',
    '--host',
    'api.example.com',
    '--secret',
    'tok',
    '--auth',
    'bearer',
  ]);
  const degraded = await nextLog(/secret sources degraded/);
  assert.match(degraded, /ERR_INSECURE_FILE/);
  assert.match(await cli(['status']), /tok: ERR_INSECURE_FILE/);

  await chmod(file, 0o600);
  child.kill('SIGHUP');
  const reloaded = await nextLog(/"msg":"reloaded"/);
  assert.match(reloaded, /"sources":"ok"/);
  await nextLog(/secret sources recovered/);
  assert.match(await cli(['status']), /sources\s+ok/);
  assert.equal(logLines.filter((l) => /secret sources degraded/.test(l)).length, 1);
  assert.ok(!logLines.join('\n').includes(VALUE));
});
