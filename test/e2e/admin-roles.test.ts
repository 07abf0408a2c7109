import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type AdminFixture, startAdmin } from '../helpers/admin.ts';
import { errorCode } from '../helpers/airlock.ts';

let fx: AdminFixture;
let operator: string;
let auditor: string;
before(async () => {
  fx = await startAdmin();
  operator = await fx.apiKey('ops', 'operator');
  auditor = await fx.apiKey('audit', 'auditor');
  await fx.api('POST', '/v1/secrets', { name: 'tok', value: 'v-admin-roles' });
  await fx.api('POST', '/v1/agents', { name: 'bot' });
});
after(() => fx.close());

const SERVICE = {
  name: 'svc',
  hosts: ['api.example.com'],
  auth: { kind: 'bearer' },
  secret: 'tok',
};

test('an auditor cannot create an agent, service, grant or CA, but can list them all', async (t) => {
  const writes: [string, string, unknown][] = [
    ['POST', '/v1/agents', { name: 'sneaky' }],
    ['POST', '/v1/agents/bot/rotate', undefined],
    ['POST', '/v1/agents/bot/revoke', undefined],
    ['DELETE', '/v1/agents/bot', undefined],
    ['POST', '/v1/services', SERVICE],
    ['POST', '/v1/grants', { agent: 'bot', service: 'svc' }],
    ['POST', '/v1/ca/rotate', {}],
  ];
  const reads = ['/v1/agents', '/v1/services', '/v1/grants', '/v1/ca'];
  t.plan(writes.length * 2 + reads.length + 1);
  const before = await fx.api('GET', '/v1/agents');
  for (const [method, path, body] of writes) {
    const res = await fx.api(method, path, body, auditor);
    t.assert.equal(res.status, 403, `${method} ${path}`);
    t.assert.equal(errorCode(res.body), 'ERR_FORBIDDEN', `${method} ${path}`);
  }
  for (const path of reads) {
    t.assert.equal((await fx.api('GET', path, undefined, auditor)).status, 200, path);
  }
  t.assert.deepEqual((await fx.api('GET', '/v1/agents')).body, before.body, 'nothing changed');
});

test('the CLI as an auditor: agent add is forbidden, agent list works', async () => {
  const add = await fx.cli(['agent', 'add', 'sneaky'], { key: auditor });
  assert.equal(add.code, 1);
  assert.equal(add.stdout, '', 'no key printed');
  assert.match(add.stderr, /\[ERR_FORBIDDEN\]/);
  const list = await fx.cli(['agent', 'list', '--json'], { key: auditor });
  assert.equal(list.code, 0, list.stderr);
  assert.deepEqual(
    (JSON.parse(list.stdout) as { name: string }[]).map((a) => a.name),
    ['bot'],
  );
});

test('an operator manages agents, services and grants but cannot create a secret or rotate the CA', async () => {
  const secret = await fx.api('POST', '/v1/secrets', { name: 'mine', value: 'x' }, operator);
  assert.equal(secret.status, 403);
  assert.equal(errorCode(secret.body), 'ERR_FORBIDDEN');
  const cliSecret = await fx.cli(['secret', 'set', 'mine'], { key: operator, stdin: 'x' });
  assert.equal(cliSecret.code, 1);
  assert.match(cliSecret.stderr, /\[ERR_FORBIDDEN\]/);
  assert.deepEqual(
    ((await fx.api('GET', '/v1/secrets')).body.secrets as { name: string }[]).map((s) => s.name),
    ['tok'],
  );

  const agent = await fx.api('POST', '/v1/agents', { name: 'worker' }, operator);
  assert.equal(agent.status, 201);
  const service = await fx.cli(
    ['service', 'add', 'svc', '--host', 'api.example.com', '--secret', 'tok', '--auth', 'bearer'],
    { key: operator },
  );
  assert.equal(service.code, 0, service.stderr);
  const grant = await fx.cli(['grant', 'worker', 'svc', '--method', 'GET'], { key: operator });
  assert.equal(grant.code, 0, grant.stderr);
  const apiGrant = await fx.api('POST', '/v1/grants', { agent: 'bot', service: 'svc' }, operator);
  assert.equal(apiGrant.status, 201);

  const rotate = await fx.cli(['ca', 'rotate'], { key: operator });
  assert.equal(rotate.code, 1);
  assert.match(rotate.stderr, /\[ERR_FORBIDDEN\]/);
  const exported = await fx.cli(['ca', 'export'], { key: operator });
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stdout, /^-----BEGIN CERTIFICATE-----/);
});

test('without a valid key nothing is read or written', async () => {
  for (const [method, path] of [
    ['GET', '/v1/agents'],
    ['POST', '/v1/agents'],
    ['GET', '/v1/ca'],
  ] as const) {
    const res = await fx.api(
      method,
      path,
      method === 'POST' ? { name: 'x' } : undefined,
      'alk_agent_notanadminkeyatall',
    );
    assert.equal(res.status, 401, `${method} ${path}`);
    assert.equal(errorCode(res.body), 'ERR_UNAUTHENTICATED');
  }
});
