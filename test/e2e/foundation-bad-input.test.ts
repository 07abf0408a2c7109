import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../../src/server.ts';
import {
  api,
  errorCode,
  initTestHome,
  runCli,
  serveTestHome,
  type TestHome,
} from '../helpers/airlock.ts';

let home: TestHome;
let server: RunningServer;
let auditor: string;
let operator: string;

before(async () => {
  home = await initTestHome();
  server = await serveTestHome(home.paths);
  const a = await api(server, home.ownerKey, 'POST', '/v1/apikeys', {
    name: 'audit',
    role: 'auditor',
  });
  const o = await api(server, home.ownerKey, 'POST', '/v1/apikeys', {
    name: 'ops',
    role: 'operator',
  });
  assert.equal(a.status, 201);
  auditor = a.body.key as string;
  operator = o.body.key as string;
  const s = await api(server, home.ownerKey, 'POST', '/v1/secrets', {
    name: 'KEEP',
    value: 'original',
  });
  assert.equal(s.status, 201);
});
after(async () => {
  await server.close();
  await home.cleanup();
});

async function secretNames(): Promise<string[]> {
  const r = await api(server, home.ownerKey, 'GET', '/v1/secrets');
  return (r.body.secrets as { name: string; versions: number }[]).map(
    (s) => `${s.name}@${s.versions}`,
  );
}

const BAD: readonly {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  raw?: string;
  key?: 'owner' | 'auditor' | 'operator' | 'none' | 'bogus';
  status: number;
  code: string;
}[] = [
  {
    name: 'name starting with a digit',
    method: 'POST',
    path: '/v1/secrets',
    body: { name: '1abc', value: 'x' },
    status: 400,
    code: 'ERR_INVALID_NAME',
  },
  {
    name: 'name with a slash',
    method: 'POST',
    path: '/v1/secrets',
    body: { name: 'a/b', value: 'x' },
    status: 400,
    code: 'ERR_INVALID_NAME',
  },
  {
    name: 'name of 129 characters',
    method: 'POST',
    path: '/v1/secrets',
    body: { name: `a${'b'.repeat(128)}`, value: 'x' },
    status: 400,
    code: 'ERR_INVALID_NAME',
  },
  {
    name: 'value over 64 KiB',
    method: 'POST',
    path: '/v1/secrets',
    body: { name: 'BIG', value: 'x'.repeat(64 * 1024 + 1) },
    status: 413,
    code: 'ERR_VALUE_TOO_LARGE',
  },
  {
    name: 'empty value',
    method: 'POST',
    path: '/v1/secrets',
    body: { name: 'EMPTY', value: '' },
    status: 400,
    code: 'ERR_INVALID_ARGUMENT',
  },
  {
    name: 'value not a string',
    method: 'POST',
    path: '/v1/secrets',
    body: { name: 'NUM', value: 42 },
    status: 400,
    code: 'ERR_INVALID_ARGUMENT',
  },
  {
    name: 'unknown field',
    method: 'POST',
    path: '/v1/secrets',
    body: { name: 'EXTRA', value: 'x', workspace: 'other' },
    status: 400,
    code: 'ERR_INVALID_ARGUMENT',
  },
  {
    name: 'malformed JSON',
    method: 'POST',
    path: '/v1/secrets',
    raw: '{"name": "X", "value": ',
    status: 400,
    code: 'ERR_MALFORMED_JSON',
  },
  {
    name: 'JSON array body',
    method: 'POST',
    path: '/v1/secrets',
    raw: '[1,2]',
    status: 400,
    code: 'ERR_MALFORMED_JSON',
  },
  {
    name: 'body over the limit',
    method: 'POST',
    path: '/v1/secrets',
    raw: `{"name":"HUGE","value":"${'x'.repeat(600 * 1024)}"}`,
    status: 413,
    code: 'ERR_PAYLOAD_TOO_LARGE',
  },
  {
    name: 'existing name',
    method: 'POST',
    path: '/v1/secrets',
    body: { name: 'KEEP', value: 'replaced' },
    status: 409,
    code: 'ERR_CONFLICT',
  },
  {
    name: 'rotate a missing secret',
    method: 'POST',
    path: '/v1/secrets/MISSING/rotate',
    body: { value: 'x' },
    status: 404,
    code: 'ERR_NOT_FOUND',
  },
  {
    name: 'unknown route',
    method: 'GET',
    path: '/v1/nope',
    status: 404,
    code: 'ERR_ROUTE_NOT_FOUND',
  },
  {
    name: 'wrong method',
    method: 'PUT',
    path: '/v1/secrets',
    status: 405,
    code: 'ERR_METHOD_NOT_ALLOWED',
  },
  {
    name: 'no API key',
    method: 'GET',
    path: '/v1/secrets',
    key: 'none',
    status: 401,
    code: 'ERR_UNAUTHENTICATED',
  },
  {
    name: 'unknown API key',
    method: 'GET',
    path: '/v1/secrets',
    key: 'bogus',
    status: 401,
    code: 'ERR_UNAUTHENTICATED',
  },
  {
    name: 'auditor creates a secret',
    method: 'POST',
    path: '/v1/secrets',
    body: { name: 'AUD', value: 'x' },
    key: 'auditor',
    status: 403,
    code: 'ERR_FORBIDDEN',
  },
  {
    name: 'auditor rotates a secret',
    method: 'POST',
    path: '/v1/secrets/KEEP/rotate',
    body: { value: 'x' },
    key: 'auditor',
    status: 403,
    code: 'ERR_FORBIDDEN',
  },
  {
    name: 'operator creates a secret',
    method: 'POST',
    path: '/v1/secrets',
    body: { name: 'OPS', value: 'x' },
    key: 'operator',
    status: 403,
    code: 'ERR_FORBIDDEN',
  },
  {
    name: 'operator deletes a secret',
    method: 'DELETE',
    path: '/v1/secrets/KEEP',
    key: 'operator',
    status: 403,
    code: 'ERR_FORBIDDEN',
  },
  {
    name: 'operator creates an API key',
    method: 'POST',
    path: '/v1/apikeys',
    body: { name: 'x', role: 'admin' },
    key: 'operator',
    status: 403,
    code: 'ERR_FORBIDDEN',
  },
  {
    name: 'an owner key cannot be minted',
    method: 'POST',
    path: '/v1/apikeys',
    body: { name: 'x', role: 'owner' },
    status: 400,
    code: 'ERR_INVALID_ARGUMENT',
  },
];

for (const c of BAD) {
  test(`admin API refuses ${c.name} with ${c.code} and changes nothing`, async (t) => {
    t.plan(3);
    const before = await secretNames();
    const key =
      c.key === 'none'
        ? null
        : c.key === 'bogus'
          ? 'alk_owner_bogusbogusbogusbogus'
          : c.key === 'auditor'
            ? auditor
            : c.key === 'operator'
              ? operator
              : home.ownerKey;
    const r = await api(server, key, c.method, c.path, c.body, c.raw);
    t.assert.equal(r.status, c.status);
    t.assert.equal(errorCode(r.body), c.code);
    t.assert.deepEqual(await secretNames(), before);
  });
}

test('roles: an auditor can list secrets, and a revoked key stops working at once', async () => {
  const listed = await api(server, auditor, 'GET', '/v1/secrets');
  assert.equal(listed.status, 200);
  const k = await api(server, home.ownerKey, 'POST', '/v1/apikeys', {
    name: 'temp',
    role: 'admin',
  });
  const tempKey = k.body.key as string;
  assert.equal((await api(server, tempKey, 'GET', '/v1/secrets')).status, 200);
  assert.equal((await api(server, home.ownerKey, 'DELETE', '/v1/apikeys/temp')).status, 200);
  const after = await api(server, tempKey, 'GET', '/v1/secrets');
  assert.equal(after.status, 401);
  assert.equal(errorCode(after.body), 'ERR_UNAUTHENTICATED');
});

test('the CLI refuses a secret value on the command line and stores nothing', async (t) => {
  t.plan(4);
  const before = await secretNames();
  const r = await runCli(['secret', 'set', 'ARGV_SECRET', 'hunter2', '--home', home.paths.home]);
  t.assert.equal(r.code, 1);
  t.assert.match(r.stderr, /ERR_SECRET_ON_ARGV/);
  t.assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, 'one line on stderr');
  t.assert.deepEqual(await secretNames(), before);
});

test('the CLI gives one clear line and a non-zero exit for bad input', async () => {
  const h = ['--home', home.paths.home];
  const cases: [string[], string, RegExp][] = [
    [['secret', 'set', 'bad name!', ...h], 'x', /ERR_INVALID_NAME/],
    [['secret', 'rm', 'MISSING', ...h], '', /ERR_NOT_FOUND/],
    [['secret', 'set', '--bogus-flag', 'X', ...h], 'x', /ERR_INVALID_ARGUMENT/],
    [['nonsense'], '', /ERR_INVALID_ARGUMENT/],
    [['apikey', 'create', 'k', ...h], '', /--role is required/],
    [['status', '--home', '/nonexistent/airlock-home'], '', /ERR_SERVER_UNREACHABLE/],
  ];
  for (const [args, stdin, pattern] of cases) {
    const r = await runCli(args, { stdin });
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, args.join(' '));
  }
});

test('every command has --help', async () => {
  const commands = [
    ['init'],
    ['serve'],
    ['status'],
    ['secret', 'set'],
    ['secret', 'list'],
    ['secret', 'rotate'],
    ['secret', 'rm'],
    ['apikey', 'create'],
    ['apikey', 'list'],
    ['apikey', 'revoke'],
    ['key', 'rotate'],
  ];
  for (const c of commands) {
    const r = await runCli([...c, '--help']);
    assert.equal(r.code, 0, c.join(' '));
    assert.match(r.stdout, /Usage: airlock/, c.join(' '));
  }
});

test('the CLI reaches a remote server with $AIRLOCK_API and $AIRLOCK_API_KEY, under that key’s role', async () => {
  const env = { AIRLOCK_API: `http://127.0.0.1:${server.api.port}`, AIRLOCK_API_KEY: auditor };
  const listed = await runCli(['secret', 'list', '--json'], { env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.ok((JSON.parse(listed.stdout) as { name: string }[]).some((s) => s.name === 'KEEP'));
  const denied = await runCli(['secret', 'set', 'REMOTE'], { env, stdin: 'v' });
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /ERR_FORBIDDEN/);
  const noKey = await runCli(['secret', 'list', '--api', `http://127.0.0.1:${server.api.port}`]);
  assert.equal(noKey.code, 1);
  assert.match(noKey.stderr, /ERR_UNAUTHENTICATED/);
  const inUrl = await runCli([
    'secret',
    'list',
    '--api',
    `http://u:${auditor}@127.0.0.1:${server.api.port}`,
  ]);
  assert.equal(inUrl.code, 1);
  assert.ok(!inUrl.stderr.includes(auditor), 'a key put in the URL is never echoed');
});
