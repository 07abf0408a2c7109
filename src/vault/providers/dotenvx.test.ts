import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isAirlockError } from '../../core/index.ts';
import { parseDotenv } from './dotenv.ts';
import { decryptDotenvxFile, resolveDotenvxFile } from './dotenvx.ts';
import { eciesDecrypt, eciesEncrypt, publicKeyHex } from './ecies.ts';

const DOTENVX = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'node_modules',
  '@dotenvx',
  'dotenvx',
  'src',
  'cli',
  'dotenvx.js',
);
const PLAIN = {
  OPENAI_API_KEY: 'sk-proj-interop-0123456789',
  WITH_SPACES: "a value with spaces and 'quotes' # not a comment",
  UNICODE: 'pässwörd-✓',
};
let dir: string;

/** Runs the real `dotenvx` CLI (the dev dependency) in `cwd`, with an explicit environment. */
function dotenvx(
  args: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [DOTENVX, ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

/** A fresh directory with `.env.production` encrypted by the real package; returns its path. */
async function encryptedByDotenvx(name: string): Promise<string> {
  const sub = await mkdtemp(join(dir, `${name}-`));
  const file = join(sub, '.env.production');
  const lines = Object.entries(PLAIN).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  await writeFile(file, `${lines.join('\n')}\nPLAIN_FLAG=on\n`);
  const r = await dotenvx(
    ['encrypt', '-f', file, '-k', 'OPENAI_API_KEY', '-k', 'WITH_SPACES', '-k', 'UNICODE'],
    sub,
  );
  assert.equal(r.code, 0, 'dotenvx encrypt');
  const text = await readFile(file, 'utf8');
  assert.match(text, /OPENAI_API_KEY="?encrypted:/);
  assert.ok(!text.includes(PLAIN.OPENAI_API_KEY));
  return file;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-dotenvx-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('a file encrypted by the real @dotenvx/dotenvx decrypts with the .env.keys beside it', async () => {
  const file = await encryptedByDotenvx('keys-file');
  const results = await resolveDotenvxFile(
    file,
    ['OPENAI_API_KEY', 'WITH_SPACES', 'UNICODE', 'PLAIN_FLAG'],
    {},
  );
  for (const [k, v] of Object.entries(PLAIN))
    assert.deepEqual(results.get(k), { ok: true, value: v }, k);
  assert.deepEqual(results.get('PLAIN_FLAG'), { ok: true, value: 'on' });
  const all = await decryptDotenvxFile(file, {});
  assert.deepEqual([...all.keys()].sort(), [
    'OPENAI_API_KEY',
    'PLAIN_FLAG',
    'UNICODE',
    'WITH_SPACES',
  ]);
});

test('the private key may come from DOTENV_PRIVATE_KEY_PRODUCTION in the server environment', async () => {
  const file = await encryptedByDotenvx('env-key');
  const keys = parseDotenv(await readFile(join(file, '..', '.env.keys'), 'utf8'), '.env.keys');
  const priv = keys.get('DOTENV_PRIVATE_KEY_PRODUCTION')?.value;
  assert.ok(priv !== undefined);
  await rm(join(file, '..', '.env.keys'));
  const results = await resolveDotenvxFile(file, ['OPENAI_API_KEY'], {
    DOTENV_PRIVATE_KEY_PRODUCTION: priv,
  });
  assert.deepEqual(results.get('OPENAI_API_KEY'), { ok: true, value: PLAIN.OPENAI_API_KEY });
  await assert.rejects(resolveDotenvxFile(file, ['OPENAI_API_KEY'], {}), (err: unknown) =>
    isAirlockError(err, 'ERR_DOTENVX_KEY_MISSING'),
  );
});

test('a tampered value fails with ERR_DOTENVX_DECRYPT and leaves the others readable', async () => {
  const file = await encryptedByDotenvx('tampered');
  const text = await readFile(file, 'utf8');
  const tampered = text.replace(
    /(OPENAI_API_KEY="?encrypted:)(.{40})(.)/,
    (_m, a: string, b: string, c: string) => a + b + (c === 'A' ? 'B' : 'A'),
  );
  assert.notEqual(tampered, text);
  await writeFile(file, tampered);
  const results = await resolveDotenvxFile(file, ['OPENAI_API_KEY', 'UNICODE'], {});
  const bad = results.get('OPENAI_API_KEY');
  assert.ok(
    bad !== undefined && !bad.ok && bad.code === 'ERR_DOTENVX_DECRYPT',
    JSON.stringify(bad),
  );
  assert.deepEqual(results.get('UNICODE'), { ok: true, value: PLAIN.UNICODE });
});

test('a key that does not match the file, or an insecure .env.keys, fails closed', async () => {
  const file = await encryptedByDotenvx('wrong-key');
  await assert.rejects(
    resolveDotenvxFile(file, ['OPENAI_API_KEY'], {
      DOTENV_PRIVATE_KEY_PRODUCTION: 'ab'.repeat(32),
    }),
    (err: unknown) => isAirlockError(err, 'ERR_DOTENVX_DECRYPT'),
  );
  await chmod(join(file, '..', '.env.keys'), 0o644);
  await assert.rejects(resolveDotenvxFile(file, ['OPENAI_API_KEY'], {}), (err: unknown) =>
    isAirlockError(err, 'ERR_INSECURE_FILE'),
  );
});

test('the published dotenvx example vector decrypts', () => {
  // From the @dotenvx/dotenvx documentation of `parse` with a privateKey.
  const priv = Buffer.from(
    'a4547dcd9d3429615a3649bb79e87edb62ee6a74b007075e9141ae44f5fb412c',
    'hex',
  );
  const payload = Buffer.from(
    'BE9Y7LKANx77X1pv1HnEoil93fPa5c9rpL/1ps48uaRT9zM8VR6mHx9yM+HktKdsPGIZELuZ7rr2mn1gScsmWitppAgE/1lVprNYBCqiYeaTcKXjDUXU5LfsEsflnAsDhT/kWG1l',
    'base64',
  );
  assert.equal(eciesDecrypt(priv, payload).toString('utf8'), 'World');
  for (const i of [0, 10, 70, 90, payload.length - 1]) {
    const bent = Buffer.from(payload);
    bent[i] = (bent[i] ?? 0) ^ 1;
    assert.throws(
      () => eciesDecrypt(priv, bent),
      (err: unknown) => isAirlockError(err, 'ERR_DOTENVX_DECRYPT'),
      `byte ${i}`,
    );
  }
  assert.throws(
    () => eciesDecrypt(priv, payload.subarray(0, 90)),
    (err: unknown) => isAirlockError(err, 'ERR_DOTENVX_DECRYPT'),
  );
});

test('values our encryptor writes are read back by the real dotenvx', async () => {
  const sub = await mkdtemp(join(dir, 'ours-'));
  const priv = Buffer.from('1f'.repeat(32), 'hex');
  const pub = publicKeyHex(priv);
  const value = 'ghp_written_by_airlock_0123';
  const encrypted = eciesEncrypt(Buffer.from(pub, 'hex'), Buffer.from(value)).toString('base64');
  const file = join(sub, '.env.staging');
  await writeFile(
    file,
    `DOTENV_PUBLIC_KEY_STAGING="${pub}"\nGITHUB_TOKEN="encrypted:${encrypted}"\n`,
  );
  const r = await dotenvx(['get', 'GITHUB_TOKEN', '-f', file], sub, {
    DOTENV_PRIVATE_KEY_STAGING: priv.toString('hex'),
  });
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), value);
  const ours = await resolveDotenvxFile(file, ['GITHUB_TOKEN', 'MISSING'], {
    DOTENV_PRIVATE_KEY_STAGING: priv.toString('hex'),
  });
  assert.deepEqual(ours.get('GITHUB_TOKEN'), { ok: true, value });
  const missing = ours.get('MISSING');
  assert.ok(missing !== undefined && !missing.ok && missing.code === 'ERR_PROVIDER_NOT_FOUND');
});

test('dotenv text parses as dotenvx writes it; a malformed line is ERR_DOTENVX_FORMAT with its line', () => {
  const parsed = parseDotenv(
    [
      '# comment',
      'export A=plain # trailing comment',
      "B='single # not a comment'",
      'C="line1\\nline2 \\"q\\""',
      'D="multi',
      'line"',
      'E=`back`',
      'F=',
    ].join('\n'),
    't.env',
  );
  assert.deepEqual(Object.fromEntries([...parsed].map(([k, v]) => [k, v.value])), {
    A: 'plain',
    B: 'single # not a comment',
    C: 'line1\nline2 \\"q\\"',
    D: 'multi\nline',
    E: 'back',
    F: '',
  });
  assert.equal(parsed.get('E')?.line, 7);
  for (const [text, line] of [
    ['OK=1\nnot a line', 2],
    ['A="open', 1],
    ["A='x' tail", 1],
  ] as const) {
    assert.throws(
      () => parseDotenv(text, 't.env'),
      (err: unknown) =>
        isAirlockError(err, 'ERR_DOTENVX_FORMAT') && err.message.startsWith(`t.env:${line}:`),
      text,
    );
  }
});
