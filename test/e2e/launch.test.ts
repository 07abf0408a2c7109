// How Airlock is started: `npx airlock …` (bin/airlock.js) and `npm start`
// both run the CLI with the Node flags of bin/node-flags.js; a running server
// says which flags it has in `airlock status`; and the launcher passes
// signals on, so stopping it stops the server under it.
import assert from 'node:assert/strict';
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { NODE_FLAGS } from '../../bin/node-flags.js';
import {
  initTestHome,
  runCli,
  type ServeChild,
  spawnServe,
  type TestHome,
} from '../helpers/airlock.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const LAUNCHER = join(ROOT, 'bin', 'airlock.js');

/** `npx airlock serve` on a fresh home; `fn` runs while it listens. Its stderr is collected. */
async function withLaunched(
  fn: (served: ServeChild, home: TestHome, stderr: () => string) => Promise<void>,
): Promise<void> {
  const home = await initTestHome();
  const served = spawnServe(home.paths.home, [], { launcher: LAUNCHER });
  let err = '';
  served.child.stderr.on('data', (d: string) => {
    err += d;
  });
  try {
    await served.listening;
    await fn(served, home, () => err);
  } finally {
    // The launcher runs in a process group of its own: end all of it.
    try {
      process.kill(-(served.child.pid ?? 0), 'SIGKILL');
    } catch {}
    await served.exited;
    await home.cleanup();
  }
}

function exitOf(served: ServeChild): Promise<{ code: number | null; signal: string | null }> {
  const { child } = served;
  if (child.exitCode !== null || child.signalCode !== null)
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const gone = (path: string) =>
  access(path).then(
    () => false,
    () => true,
  );

test('npm start runs airlock serve with the launcher flags', async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  assert.equal(pkg.scripts.start, ['node', ...NODE_FLAGS, 'src/cli/main.ts', 'serve'].join(' '));
});

test('npx airlock serve runs with the launcher flags, and status shows them', async () => {
  await withLaunched(async (_served, home) => {
    const r = await runCli(['status', '--json', '--home', home.paths.home]);
    assert.equal(r.code, 0, r.stderr);
    const status = JSON.parse(r.stdout) as { runtime: { node: string; flags: string[] } };
    assert.equal(status.runtime.node, process.version);
    assert.deepEqual(status.runtime.flags, [...NODE_FLAGS]);
  });
});

test('a server started without the launcher reports no flags', async () => {
  const home = await initTestHome();
  const served = spawnServe(home.paths.home, []);
  try {
    await served.listening;
    const r = await runCli(['status', '--json', '--home', home.paths.home]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { runtime: { flags: string[] } }).runtime.flags, []);
  } finally {
    served.child.kill('SIGTERM');
    await served.exited;
    await home.cleanup();
  }
});

test('SIGTERM to the launcher alone stops the server under it, cleanly', async () => {
  await withLaunched(async (served, home, stderr) => {
    const socket = join(home.paths.home, 'admin.sock');
    assert.equal(await gone(socket), false, 'the server has its admin socket');
    const exit = exitOf(served);
    process.kill(served.child.pid ?? 0, 'SIGTERM');
    assert.deepEqual(await exit, { code: 0, signal: null });
    assert.match(stderr(), /"msg":"stopping"/);
    // The server removed its admin socket on the way out: it is not left running.
    await until(() => gone(socket), 'the admin socket to go');
  });
});

test('SIGHUP to the launcher reaches the server (a reload)', async () => {
  await withLaunched(async (served, _home, stderr) => {
    process.kill(served.child.pid ?? 0, 'SIGHUP');
    await until(() => /"msg":"reloaded"/.test(stderr()), 'the reload line');
    assert.equal(served.child.exitCode, null, 'the launcher is still running');
  });
});

test('Ctrl-C (SIGINT to the whole group, so the server gets it twice) closes cleanly', async () => {
  await withLaunched(async (served, home, stderr) => {
    const exit = exitOf(served);
    process.kill(-(served.child.pid ?? 0), 'SIGINT');
    assert.deepEqual(await exit, { code: 0, signal: null });
    assert.equal(stderr().match(/"msg":"stopping"/g)?.length, 1);
    await until(() => gone(join(home.paths.home, 'admin.sock')), 'the admin socket to go');
  });
});
