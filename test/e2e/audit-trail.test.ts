// Invariant 5, "every use is on record", and invariant 1, "never seen", for
// the audit trail: a real server, curl through the proxy, the admin API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { errorCode } from '../helpers/airlock.ts';
import { type AuditProduct, SECRET, startAuditProduct } from '../helpers/audit-product.ts';

const QUERY_VALUE = 'q-value-5f1e8a-never-recorded';
const PLACEHOLDER = 'alk_ph_0123456789abcdefghjkmnpqrst';
let p: AuditProduct;

type Json = Record<string, unknown>;
const ev = (r: Json) => r.event as Json;

before(async () => {
  p = await startAuditProduct();
});
after(() => p.close());

test('invariant 5, every use is on record: each injection is recorded before it is forwarded, its outcome after; each refusal once', async () => {
  const ok = await p.curl(`/repos/acme/widgets?token=${QUERY_VALUE}&page=2`);
  assert.equal(ok.stdout.split('\n').at(-1), '200', ok.stderr);
  const denied = await p.curl('/admin/users');
  assert.equal(denied.stdout.split('\n').at(-1), '403');

  const allowed = await p.waitForEvents('kind=proxy.request', 1);
  assert.equal(allowed.length, p.upstream.requests.length, 'one record per forwarded request');
  const e = ev(allowed[0] as Json);
  assert.equal(e.decision, 'allow');
  assert.equal(e.service, 'github');
  assert.deepEqual(e.secret, { name: 'github', version: 1 });
  assert.equal(e.status, null, 'written before the request was forwarded');
  assert.deepEqual(e.destination, {
    scheme: 'https',
    host: 'api.test.local',
    port: p.upstream.port,
    method: 'GET',
    path: '/repos/acme/widgets',
    queryNames: ['token', 'page'],
  });
  assert.equal((e.actor as Json).type, 'agent');
  assert.equal((e.actor as Json).name, 'bot');
  assert.deepEqual(
    (e.chain as Json[]).map((l) => [l.type, l.name]),
    [['agent', 'bot']],
  );
  const outcome = (await p.waitForEvents('kind=proxy.completed', 1)).map(ev);
  assert.equal(outcome.length, 1);
  assert.equal(outcome[0]?.request, (allowed[0] as Json).id, 'the outcome names its request');
  assert.equal(outcome[0]?.status, 200);
  assert.equal(typeof outcome[0]?.bytesOut, 'number');
  assert.equal(typeof outcome[0]?.durationMs, 'number');
  const [first] = await p.waitForEvents('order=asc&kind=proxy.', 1);
  assert.equal(
    ev(first as Json).kind,
    'proxy.request',
    'the request precedes its outcome in the chain',
  );

  const refusals = await p.waitForEvents('kind=proxy.denied', 1);
  assert.equal(refusals.length, 1);
  const d = ev(refusals[0] as Json);
  assert.equal(d.code, 'ERR_SCOPE_DENIED');
  assert.equal(d.decision, 'deny');
  assert.equal(d.status, 403);
  assert.equal((d.destination as Json).path, '/admin/users');
});

test('admin changes are on record with the principal and the target, never a key', async () => {
  const events = await p.waitForEvents('kind=agent.', 1);
  const created = events.map(ev).find((e) => e.kind === 'agent.created');
  assert.ok(created);
  assert.equal((created.target as Json).name, 'bot');
  assert.deepEqual(created.actor, {
    type: 'owner',
    id: null,
    name: null,
    role: 'owner',
    tokenId: null,
    taskId: null,
  });
  assert.equal(created.via, 'socket');
  const grant = ev((await p.waitForEvents('kind=grant.created', 1))[0] as Json);
  assert.equal(
    (grant.target as Json).attributes && ((grant.target as Json).attributes as Json).agent,
    'bot',
  );
  assert.deepEqual(((grant.target as Json).attributes as Json).methods, ['GET']);
  const secret = ev((await p.waitForEvents('kind=secret.created', 1))[0] as Json);
  assert.deepEqual(secret.target, {
    type: 'secret',
    id: null,
    name: 'github',
    attributes: { version: 1 },
  });
  const key = ev((await p.waitForEvents('kind=apikey.created', 1))[0] as Json);
  assert.equal(((key.target as Json).attributes as Json).role, 'auditor');
  // By agent: what bot did and what was done to it.
  const byAgent = (await p.waitForEvents('agent=bot', 3)).map((r) => ev(r).kind);
  assert.ok(byAgent.includes('agent.created') && byAgent.includes('proxy.request'), byAgent.join());
});

test('a failed or forbidden admin call is recorded as auth.failed, without the key presented', async () => {
  const badKey = 'alk_admin_0000000000000000000000000000000000000000';
  const bad = await p.api('GET', '/v1/secrets', undefined, badKey);
  assert.equal(bad.status, 401);
  const operator = String(
    (await p.api('POST', '/v1/apikeys', { name: 'op', role: 'operator' })).body.key,
  );
  const forbidden = await p.api('GET', '/v1/audit', undefined, operator);
  assert.equal(forbidden.status, 403);
  assert.equal(errorCode(forbidden.body), 'ERR_FORBIDDEN');

  const failures = (await p.waitForEvents('kind=auth.failed', 2)).map(ev);
  const unauth = failures.find((e) => e.code === 'ERR_UNAUTHENTICATED');
  assert.ok(unauth);
  assert.equal(unauth.path, '/v1/secrets');
  assert.equal((unauth.actor as Json).type, 'anonymous');
  const denied = failures.find((e) => e.code === 'ERR_FORBIDDEN');
  assert.ok(denied);
  assert.equal((denied.actor as Json).role, 'operator');
  assert.ok(!(await p.storedBytes()).includes(badKey));
});

test('GET /v1/audit: auditors read it, filters narrow, and keyset pages walk it without overlap', async () => {
  const all = await p.api('GET', '/v1/audit?limit=1000', undefined, p.auditorKey);
  assert.equal(all.status, 200);
  const total = (all.body.events as Json[]).length;
  const seen = new Set<number>();
  let cursor = '';
  for (;;) {
    const page = await p.api('GET', `/v1/audit?limit=3${cursor}`, undefined, p.auditorKey);
    for (const r of page.body.events as Json[]) seen.add(Number(r.seq));
    if (page.body.more !== true) break;
    cursor = `&cursor=${String(page.body.next)}`;
  }
  assert.equal(seen.size, total);
  const deny = await p.api(
    'GET',
    '/v1/audit?decision=deny&service=github',
    undefined,
    p.auditorKey,
  );
  assert.ok((deny.body.events as Json[]).every((r) => ev(r).decision === 'deny'));
  const bad = await p.api('GET', '/v1/audit?decision=perhaps', undefined, p.auditorKey);
  assert.equal(bad.status, 400);
  assert.equal(errorCode(bad.body), 'ERR_INVALID_ARGUMENT');
  const prune = await p.api('POST', '/v1/audit/prune', { before: '1d' }, p.auditorKey);
  assert.equal(prune.status, 403, 'an auditor reads the trail but cannot prune it');
});

test('invariant 1, never seen: no secret value, key, placeholder or query value in the audit store, file or any export', async () => {
  const placed = await p.curl(`/repos/${PLACEHOLDER}/issues?secret=${QUERY_VALUE}`, [
    '-H',
    `X-Token: ${PLACEHOLDER}`,
  ]);
  assert.equal(placed.stdout.split('\n').at(-1), '200', placed.stderr);
  const recorded = await p.waitForEvents('kind=proxy.request', 2);
  assert.ok(
    recorded.map(ev).some((e) => (e.destination as Json).path === '/repos/[redacted]/issues'),
  );

  const outputs = [
    await p.storedBytes(),
    (await p.cli(['audit', 'export', '--format', 'jsonl'])).stdout,
    (await p.cli(['audit', 'export', '--format', 'csv'])).stdout,
    (await p.cli(['audit', 'query', '--json', '--limit', '1000'])).stdout,
    (await p.cli(['audit', 'tail', '-n', '1000'])).stdout,
    (await p.cli(['access-review', '--format', 'json'])).stdout,
    (await p.cli(['access-review'])).stdout,
  ];
  const forbidden = [
    SECRET,
    p.agentKey,
    p.home.ownerKey,
    p.auditorKey,
    PLACEHOLDER,
    QUERY_VALUE,
    'Bearer ',
  ];
  for (const [i, text] of outputs.entries()) {
    for (const needle of forbidden) {
      assert.ok(!text.includes(needle), `output #${i} holds something it must not`);
    }
  }
  assert.ok(outputs[0]?.includes('proxy.request'), 'the store was read');
});
