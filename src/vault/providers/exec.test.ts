import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isAirlockError } from '../../core/index.ts';
import { type ExecProvider, parseExecProvider, runExecProvider } from './exec.ts';

const EXAMPLE = join(
  import.meta.dirname,
  '..',
  '..',
  '..',
  'examples',
  'providers',
  'json-file-provider.mjs',
);
const STDERR_SECRET = 'sk_live_PRINTED_ON_STDERR_0123456789';
let dir: string;
let store: string;

/** A provider running `source` (JavaScript) under this Node. */
async function scriptProvider(name: string, source: string, extra: Partial<ExecProvider> = {}) {
  const path = join(dir, `${name}.mjs`);
  await writeFile(path, source);
  return parseExecProvider({
    name,
    command: process.execPath,
    args: [path],
    timeoutMs: 5000,
    ...extra,
  });
}

const READ_STDIN = `let input = ''; process.stdin.on('data', (c) => { input += c; });`;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-exec-'));
  store = join(dir, 'secrets.json');
  await writeFile(
    store,
    JSON.stringify({ github: 'ghp_from_provider', 'kv/stripe': 'sk_test_x' }),
    { mode: 0o600 },
  );
});
after(() => rm(dir, { recursive: true, force: true }));

test('the example provider resolves every id of one call, and says NOT_FOUND for the rest', async () => {
  const provider = parseExecProvider({
    name: 'jsonfile',
    command: process.execPath,
    args: [EXAMPLE, store],
  });
  const results = await runExecProvider(provider, ['github', 'kv/stripe', 'missing'], {});
  assert.deepEqual(results.get('github'), { ok: true, value: 'ghp_from_provider' });
  assert.deepEqual(results.get('kv/stripe'), { ok: true, value: 'sk_test_x' });
  const missing = results.get('missing');
  assert.equal(missing?.ok, false);
  assert.equal(missing?.ok === false && missing.code, 'ERR_PROVIDER_NOT_FOUND');
});

test('the request is versioned, names the provider, and holds all ids; the child sees only allowlisted env', async () => {
  const provider = await scriptProvider(
    'echo',
    `${READ_STDIN} process.stdin.on('end', () => {
      const req = JSON.parse(input);
      process.stdout.write(JSON.stringify({ protocolVersion: 1, values: {
        request: JSON.stringify(req), env: JSON.stringify(process.env) } }));
    });`,
    { env: ['ALLOWED'] },
  );
  const results = await runExecProvider(provider, ['request', 'env'], {
    ALLOWED: 'yes',
    SECRET_OF_SERVER: 'must-not-leak',
    PATH: '/usr/bin',
  });
  const request = results.get('request');
  assert.ok(request?.ok);
  assert.deepEqual(JSON.parse(request.value), {
    protocolVersion: 1,
    provider: 'echo',
    ids: ['request', 'env'],
  });
  const env = results.get('env');
  assert.ok(env?.ok);
  const seen = JSON.parse(env.value) as Record<string, string>;
  assert.equal(seen.ALLOWED, 'yes');
  assert.equal(seen.SECRET_OF_SERVER, undefined);
  assert.equal(seen.PATH, undefined);
});

test('a provider that exits non-zero fails with ERR_PROVIDER_FAILED; its stderr (holding a secret) is never in the error', async () => {
  const provider = await scriptProvider(
    'noisy',
    `process.stderr.write('token=${STDERR_SECRET}\\n'); process.exit(3);`,
  );
  let rejected = false;
  await runExecProvider(provider, ['x'], {}).catch((err: unknown) => {
    rejected = true;
    assert.ok(isAirlockError(err, 'ERR_PROVIDER_FAILED'));
    const text = `${err.message} ${JSON.stringify(err)} ${String(err.stack)}`;
    assert.ok(!text.includes(STDERR_SECRET));
    assert.equal(err.cause, undefined);
  });
  assert.ok(rejected, 'the call was refused');
});

test('a provider that prints a secret to stderr but answers correctly still resolves, and the stderr goes nowhere', async () => {
  const provider = await scriptProvider(
    'chatty',
    `${READ_STDIN} process.stdin.on('end', () => {
      process.stderr.write('${STDERR_SECRET}');
      process.stdout.write(JSON.stringify({ protocolVersion: 1, values: { a: 'v' } }));
    });`,
  );
  const results = await runExecProvider(provider, ['a'], {});
  assert.deepEqual(results.get('a'), { ok: true, value: 'v' });
  assert.ok(!JSON.stringify([...results]).includes(STDERR_SECRET));
});

test('a provider that hangs is killed at its timeout with ERR_PROVIDER_TIMEOUT, its process group included', async () => {
  const pidFile = join(dir, 'grandchild.pid');
  const provider = await scriptProvider(
    'hang',
    `import { spawn } from 'node:child_process'; import { writeFileSync } from 'node:fs';
     const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' });
     writeFileSync(${JSON.stringify(pidFile)}, String(c.pid));
     setInterval(() => {}, 1000);`,
    { timeoutMs: 500 },
  );
  await assert.rejects(runExecProvider(provider, ['x'], {}), (err: unknown) =>
    isAirlockError(err, 'ERR_PROVIDER_TIMEOUT'),
  );
  const pid = Number(await readFile(pidFile, 'utf8'));
  // The group was sent SIGKILL; wait (bounded) until the grandchild is gone.
  const deadline = Date.now() + 5000;
  let alive = true;
  while (alive && Date.now() < deadline) {
    try {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 10));
    } catch {
      alive = false;
    }
  }
  assert.equal(alive, false, 'the provider’s own child was killed too');
});

test('output that breaks the protocol is ERR_PROVIDER_PROTOCOL, never quoted', async () => {
  const cases: [string, string][] = [
    ['not-json', `process.stdout.write('ghp_LEAKED_IN_GARBAGE');`],
    [
      'wrong-version',
      `process.stdout.write(JSON.stringify({ protocolVersion: 2, values: { a: 'ghp_LEAKED_IN_GARBAGE' } }));`,
    ],
    ['too-big', `process.stdout.write('x'.repeat(2 * 1024 * 1024));`],
  ];
  for (const [name, body] of cases) {
    const provider = await scriptProvider(
      name,
      `${READ_STDIN} process.stdin.on('end', () => { ${body} });`,
    );
    await assert.rejects(runExecProvider(provider, ['a'], {}), (err: unknown) => {
      assert.ok(isAirlockError(err, 'ERR_PROVIDER_PROTOCOL'), name);
      assert.ok(!err.message.includes('LEAKED'));
      return true;
    });
  }
  const silent = await scriptProvider(
    'silent-on-id',
    `${READ_STDIN} process.stdin.on('end', () => process.stdout.write(JSON.stringify({ protocolVersion: 1, values: {}, errors: { b: { code: 'DENIED' } } })));`,
  );
  const results = await runExecProvider(silent, ['a', 'b'], {});
  const a = results.get('a');
  assert.ok(a !== undefined && !a.ok && a.code === 'ERR_PROVIDER_PROTOCOL');
  const b = results.get('b');
  assert.ok(
    b !== undefined && !b.ok && b.code === 'ERR_PROVIDER_FAILED' && b.message.includes('DENIED'),
  );
});

test('a command that cannot start is ERR_PROVIDER_FAILED', async () => {
  const provider = parseExecProvider({ name: 'ghost', command: join(dir, 'does-not-exist') });
  await assert.rejects(runExecProvider(provider, ['a'], {}), (err: unknown) =>
    isAirlockError(err, 'ERR_PROVIDER_FAILED'),
  );
});

test('declarations are checked: absolute command, string args, bounded timeout, env names only', () => {
  const bad: unknown[] = [
    null,
    { name: 'p', command: 'node' },
    { name: 'p', command: '/bin/sh', args: '-c evil' },
    { name: 'p', command: '/bin/x', timeoutMs: 0 },
    { name: 'p', command: '/bin/x', timeoutMs: 10 ** 9 },
    { name: 'p', command: '/bin/x', env: ['A=B'] },
    { name: '1p', command: '/bin/x' },
    { name: 'p', command: '/bin/x', shell: true },
  ];
  for (const input of bad) {
    assert.throws(
      () => parseExecProvider(input),
      (err: unknown) => isAirlockError(err, 'ERR_INVALID_ARGUMENT'),
      JSON.stringify(input),
    );
  }
});
