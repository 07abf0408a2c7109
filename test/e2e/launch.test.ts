// How Airlock is started: `npx airlock …` (bin/airlock.js) and `npm start`
// both run the CLI with the Node flags of bin/node-flags.js, and a running
// server says which flags it has in `airlock status`.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
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

let home: TestHome;
let served: ServeChild | null = null;

before(async () => {
  home = await initTestHome();
});

after(async () => {
  if (served !== null) {
    // The launcher waits on its child: end the whole process group.
    try {
      process.kill(-(served.child.pid ?? 0), 'SIGTERM');
    } catch {}
    await served.exited;
  }
  await home.cleanup();
});

test('npm start runs airlock serve with the launcher flags', async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  assert.equal(pkg.scripts.start, ['node', ...NODE_FLAGS, 'src/cli/main.ts', 'serve'].join(' '));
});

test('npx airlock serve runs with the launcher flags, and status shows them', async () => {
  served = spawnServe(home.paths.home, [], { launcher: LAUNCHER });
  await served.listening;
  const r = await runCli(['status', '--json', '--home', home.paths.home]);
  assert.equal(r.code, 0, r.stderr);
  const status = JSON.parse(r.stdout) as { runtime: { node: string; flags: string[] } };
  assert.equal(status.runtime.node, process.version);
  assert.deepEqual(status.runtime.flags, [...NODE_FLAGS]);
});

test('a server started without the launcher reports no flags', async () => {
  const other = await initTestHome();
  const child = spawnServe(other.paths.home, []);
  try {
    await child.listening;
    const r = await runCli(['status', '--json', '--home', other.paths.home]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((JSON.parse(r.stdout) as { runtime: { flags: string[] } }).runtime.flags, []);
  } finally {
    child.child.kill('SIGTERM');
    await child.exited;
    await other.cleanup();
  }
});
