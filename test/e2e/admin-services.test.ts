import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AdminFixture, startAdmin } from '../helpers/admin.ts';
import { errorCode } from '../helpers/airlock.ts';

let fx: AdminFixture;
before(async () => {
  fx = await startAdmin();
  const secret = await fx.cli(['secret', 'set', 'gh_token'], { stdin: 'v-admin-services\n' });
  assert.equal(secret.code, 0, secret.stderr);
  const agent = await fx.cli(['agent', 'add', 'bot']);
  assert.equal(agent.code, 0, agent.stderr);
});
after(() => fx.close());

const GITHUB = [
  'service',
  'add',
  'github',
  '--host',
  'api.github.com',
  '--host',
  '*.githubusercontent.com:8443',
  '--secret',
  'gh_token',
  '--auth',
  'header',
  '--header',
  'X-Api-Key',
  '--prefix',
  'token ',
  '--path',
  '/repos/**',
  '--path',
  '/user',
  '--method',
  'get',
  '--method',
  'POST',
  '--env',
  'GITHUB_TOKEN',
];

test('service validation errors each carry their code and change nothing', async (t) => {
  const base = ['--secret', 'gh_token'];
  const cases: { name: string; args: string[]; code: string; says: RegExp }[] = [
    {
      name: 'bad host pattern',
      args: ['--host', 'a*b.example.com', ...base, '--auth', 'bearer'],
      code: 'ERR_INVALID_ARGUMENT',
      says: /hosts\[0\]/,
    },
    {
      name: 'unknown auth',
      args: ['--host', 'api.example.com', ...base, '--auth', 'magic'],
      code: 'ERR_INVALID_ARGUMENT',
      says: /auth\.kind/,
    },
    {
      name: 'header auth without --header',
      args: ['--host', 'api.example.com', ...base, '--auth', 'header'],
      code: 'ERR_INVALID_ARGUMENT',
      says: /auth\.header/,
    },
    {
      name: 'missing secret',
      args: ['--host', 'api.example.com', '--secret', 'nope', '--auth', 'bearer'],
      code: 'ERR_INVALID_ARGUMENT',
      says: /no secret named nope/,
    },
    {
      name: 'a header the proxy owns',
      args: ['--host', 'api.example.com', ...base, '--auth', 'header', '--header', 'Host'],
      code: 'ERR_INVALID_ARGUMENT',
      says: /auth\.header/,
    },
    {
      name: 'bad service name',
      args: ['--host', 'api.example.com', ...base, '--auth', 'bearer'],
      code: 'ERR_INVALID_NAME',
      says: /service names/,
    },
  ];
  t.plan(cases.length * 2 + 1);
  for (const c of cases) {
    const name = c.code === 'ERR_INVALID_NAME' ? '1bad' : 'broken';
    const r = await fx.cli(['service', 'add', name, ...c.args]);
    t.assert.equal(r.code, 1, c.name);
    t.assert.match(r.stderr, new RegExp(`${c.says.source}.*\\[${c.code}\\]`), c.name);
  }
  t.assert.deepEqual((await fx.api('GET', '/v1/services')).body, { services: [] });
});

test('the API refuses the same bad definitions with a 400 and a code', async () => {
  const good = { hosts: ['api.example.com'], auth: { kind: 'bearer' }, secret: 'gh_token' };
  const cases: [string, Record<string, unknown>, string][] = [
    ['bad host', { ...good, hosts: ['exa mple.com'] }, 'ERR_INVALID_ARGUMENT'],
    ['unknown auth', { ...good, auth: { kind: 'magic' } }, 'ERR_INVALID_ARGUMENT'],
    ['header without name', { ...good, auth: { kind: 'header' } }, 'ERR_INVALID_ARGUMENT'],
    ['missing secret', { ...good, secret: 'absent' }, 'ERR_INVALID_ARGUMENT'],
    ['unknown field', { ...good, path: ['/**'] }, 'ERR_INVALID_ARGUMENT'],
    ['no hosts', { ...good, hosts: [] }, 'ERR_INVALID_ARGUMENT'],
    ['name not a string', { ...good, name: 7 }, 'ERR_INVALID_ARGUMENT'],
  ];
  for (const [what, body, code] of cases) {
    const res = await fx.api('POST', '/v1/services', { name: 'broken', ...body });
    assert.equal(res.status, 400, what);
    assert.equal(errorCode(res.body), code, what);
  }
  assert.deepEqual((await fx.api('GET', '/v1/services')).body, { services: [] });
});

test('service add, list and show round-trip the definition', async () => {
  const add = await fx.cli(GITHUB);
  assert.equal(add.code, 0, add.stderr);
  const shown = await fx.cli(['service', 'show', 'github', '--json']);
  assert.equal(shown.code, 0, shown.stderr);
  const service = JSON.parse(shown.stdout) as Record<string, unknown>;
  assert.deepEqual(
    { ...service, id: undefined, createdAt: undefined },
    {
      id: undefined,
      createdAt: undefined,
      name: 'github',
      scheme: 'https',
      hosts: ['api.github.com:443', '*.githubusercontent.com:8443'],
      paths: ['/repos/**', '/user'],
      methods: ['GET', 'POST'],
      auth: { kind: 'header', header: 'x-api-key', prefix: 'token ' },
      secret: 'gh_token',
      env: 'GITHUB_TOKEN',
    },
  );
  const list = await fx.cli(['service', 'list']);
  assert.match(list.stdout, /github\s+api\.github\.com:443,\*\.githubusercontent\.com:8443/);
  assert.ok(!`${list.stdout}${shown.stdout}`.includes('v-admin-services'), 'never the value');

  const dup = await fx.cli(GITHUB);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /\[ERR_CONFLICT\]/);
});

test('a grant wider than its service is refused', async (t) => {
  const cases: [string, Record<string, unknown>][] = [
    ['a method the service does not allow', { methods: ['DELETE'] }],
    ['a path outside the service', { paths: ['/orgs/**'] }],
    ['a path wider than the service', { paths: ['/**'] }],
  ];
  t.plan(cases.length * 2 + 3);
  for (const [what, limits] of cases) {
    const res = await fx.api('POST', '/v1/grants', { agent: 'bot', service: 'github', ...limits });
    t.assert.equal(errorCode(res.body), 'ERR_INVALID_ARGUMENT', what);
    t.assert.match(String((res.body.error as Record<string, unknown>).message), /wider/, what);
  }
  const cli = await fx.cli(['grant', 'bot', 'github', '--method', 'PUT']);
  t.assert.equal(cli.code, 1);
  t.assert.match(cli.stderr, /grant is wider than service: method PUT \[ERR_INVALID_ARGUMENT\]/);
  t.assert.deepEqual((await fx.api('GET', '/v1/grants')).body, { grants: [] });
});

test('airlock grant AGENT SERVICE creates a narrowed grant; list and rm manage it', async () => {
  const made = await fx.cli([
    'grant',
    'bot',
    'github',
    '--method',
    'GET',
    '--path',
    '/repos/acme/**',
    '--expires',
    '12h',
    '--json',
  ]);
  assert.equal(made.code, 0, made.stderr);
  const grant = JSON.parse(made.stdout) as Record<string, unknown>;
  assert.equal(grant.agent, 'bot');
  assert.deepEqual(grant.methods, ['GET']);
  assert.deepEqual(grant.paths, ['/repos/acme/**']);
  const ttl = Date.parse(String(grant.expiresAt)) - Date.now();
  assert.ok(ttl > 11 * 3_600_000 && ttl <= 12 * 3_600_000, `expires in 12h, got ${ttl}ms`);

  const plain = await fx.cli([
    'grant',
    'add',
    'bot',
    'github',
    '--expires',
    '2099-01-01T00:00:00Z',
  ]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, /until 2099-01-01T00:00:00\.000Z/);

  const listed = await fx.api('GET', '/v1/grants?agent=bot');
  const grants = listed.body.grants as Record<string, unknown>[];
  assert.equal(grants.length, 2);
  assert.deepEqual(
    grants.find((g) => g.id === grant.id),
    grant,
  );
  const table = await fx.cli(['grant', 'list', '--agent', 'bot']);
  assert.match(
    table.stdout,
    new RegExp(`${grant.id}\\s+bot\\s+github\\s+GET\\s+/repos/acme/\\*\\*`),
  );
  const unknown = await fx.api('GET', '/v1/grants?agent=nobody');
  assert.equal(errorCode(unknown.body), 'ERR_NOT_FOUND');

  const rm = await fx.cli(['grant', 'rm', String(grant.id)]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(((await fx.api('GET', '/v1/grants')).body.grants as unknown[]).length, 1);
  const again = await fx.api('DELETE', `/v1/grants/${grant.id}`);
  assert.equal(again.status, 404);
});

test('bad grant input is refused with a code', async () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ['expiry in the past', { expiresAt: '2001-01-01T00:00:00Z' }, 'ERR_INVALID_ARGUMENT'],
    ['expiry without a zone', { expiresAt: '2099-01-01T00:00:00' }, 'ERR_INVALID_ARGUMENT'],
    ['expiry as a float', { expiresAt: 1.5 }, 'ERR_INVALID_ARGUMENT'],
    ['unknown agent', { agent: 'ghost' }, 'ERR_INVALID_ARGUMENT'],
    ['unknown service', { service: 'nowhere' }, 'ERR_INVALID_ARGUMENT'],
    ['empty methods', { methods: [] }, 'ERR_INVALID_ARGUMENT'],
    ['unknown field', { rate: 5 }, 'ERR_INVALID_ARGUMENT'],
  ];
  const before = await fx.api('GET', '/v1/grants');
  for (const [what, patch, code] of cases) {
    const res = await fx.api('POST', '/v1/grants', { agent: 'bot', service: 'github', ...patch });
    assert.equal(errorCode(res.body), code, what);
  }
  assert.deepEqual((await fx.api('GET', '/v1/grants')).body, before.body);
  const bad = await fx.cli(['grant', 'bot', 'github', '--expires', 'tomorrow']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--expires.*\[ERR_INVALID_ARGUMENT\]/);
});

test('service rm deletes the service and its grants', async () => {
  const rm = await fx.cli(['service', 'rm', 'github']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.deepEqual((await fx.api('GET', '/v1/grants')).body, { grants: [] });
  const gone = await fx.api('GET', '/v1/services/github');
  assert.equal(gone.status, 404);
  assert.equal(errorCode(gone.body), 'ERR_NOT_FOUND');
});

test('airlock grant dispatches: list and rm are subcommands, two names are the shorthand', async () => {
  const help = await fx.cli(['grant', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /airlock grant list/);
  assert.match(help.stdout, /`airlock grant ARGS…` is short for `airlock grant add ARGS…`/);
  const usage = await fx.cli(['grant', 'bot', '--help']);
  assert.match(usage.stdout, /Usage: airlock grant AGENT SERVICE/);
  const one = await fx.cli(['grant', 'bot']);
  assert.equal(one.code, 1);
  assert.match(one.stderr, /wrong number of arguments \(see `airlock grant add --help`\)/);
});
