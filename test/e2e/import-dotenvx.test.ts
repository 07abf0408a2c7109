// `airlock import dotenvx FILE`: values of a file encrypted by the real
// dotenvx are decrypted by the CLI and stored, never printed; a tampered
// file imports nothing.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../../src/server.ts';
import { initTestHome, runCli, serveTestHome, type TestHome, tempDir } from '../helpers/airlock.ts';
import { runChild } from '../helpers/child.ts';

const DOTENVX = join(
  import.meta.dirname,
  '..',
  '..',
  'node_modules',
  '@dotenvx',
  'dotenvx',
  'src',
  'cli',
  'dotenvx.js',
);
const VALUES = {
  OPENAI_API_KEY: 'sk-import-value-0123456789',
  STRIPE_KEY: 'sk_test_import_0123456789',
};
let home: TestHome;
let server: RunningServer;
let dir: { dir: string; cleanup: () => Promise<void> };
let file: string;

before(async () => {
  home = await initTestHome();
  server = await serveTestHome(home.paths);
  dir = await tempDir('airlock-import-');
  file = join(dir.dir, '.env.production');
  await writeFile(
    file,
    Object.entries(VALUES)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  const r = await runChild(process.execPath, [DOTENVX, 'encrypt', '-f', file], {
    cwd: dir.dir,
    env: { HOME: dir.dir },
  });
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  await server?.close();
  await dir?.cleanup();
  await home?.cleanup();
});

test('import copies every value into the store and prints only names', async () => {
  const r = await runCli([
    'import',
    'dotenvx',
    file,
    '--prefix',
    'prod_',
    '--home',
    home.paths.home,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'created prod_OPENAI_API_KEY\ncreated prod_STRIPE_KEY\n');
  for (const v of Object.values(VALUES)) assert.ok(!r.stdout.includes(v) && !r.stderr.includes(v));
  const again = await runCli([
    'import',
    'dotenvx',
    file,
    '--prefix',
    'prod_',
    '--only',
    'STRIPE_KEY',
    '--home',
    home.paths.home,
  ]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /ERR_CONFLICT/);
  const update = await runCli([
    'import',
    'dotenvx',
    file,
    '--prefix',
    'prod_',
    '--only',
    'STRIPE_KEY',
    '--update',
    '--home',
    home.paths.home,
  ]);
  assert.equal(update.stdout, 'rotated prod_STRIPE_KEY\n');
});

test('a tampered file fails with ERR_DOTENVX_DECRYPT and imports nothing', async () => {
  const text = await readFile(file, 'utf8');
  await writeFile(
    file,
    text.replace(
      /(STRIPE_KEY="?encrypted:.{30})(.)/,
      (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A'),
    ),
  );
  const r = await runCli([
    'import',
    'dotenvx',
    file,
    '--prefix',
    'bad_',
    '--home',
    home.paths.home,
  ]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ERR_DOTENVX_DECRYPT/);
  const list = await runCli(['secret', 'list', '--json', '--home', home.paths.home]);
  assert.ok(!list.stdout.includes('bad_'));
});
