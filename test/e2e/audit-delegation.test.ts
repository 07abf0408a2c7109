// A three-level delegation run: the audit events name every level and the
// user who began the task (RFC 8693 `act` chains, unrolled oldest first).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import { type AdminFixture, startAdmin } from '../helpers/admin.ts';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
type Json = Record<string, unknown>;

let fx: AdminFixture;
const ids: Record<string, string> = {};

before(async () => {
  fx = await startAdmin();
  await fx.api('POST', '/v1/secrets', { name: 'gh', value: 'v-audit-delegation-secret' });
  const svc = await fx.api('POST', '/v1/services', {
    name: 'github',
    hosts: ['api.github.test'],
    auth: { kind: 'bearer' },
    secret: 'gh',
  });
  assert.equal(svc.status, 201);
  for (const agent of ['orchestrator', 'worker', 'helper']) {
    const created = await fx.api('POST', '/v1/agents', { name: agent });
    ids[agent] = String((created.body.agent as Json).id);
    assert.equal((await fx.api('POST', '/v1/grants', { agent, service: 'github' })).status, 201);
  }
});
after(() => fx.close());

async function exchange(subject: string, actor: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${fx.server.api.port}/v1/oauth/token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${fx.home.ownerKey}` },
    body: new URLSearchParams({
      grant_type: EXCHANGE,
      subject_token: subject,
      subject_token_type: JWT,
      actor,
    }),
  });
  const body = (await res.json()) as Json;
  assert.equal(res.status, 200, JSON.stringify(body));
  return String(body.access_token);
}

test('a three-level delegation run: each event’s chain names every level and the originating user', async () => {
  const started = await fx.api('POST', '/v1/tasks', {
    agent: 'orchestrator',
    onBehalfOf: 'alice',
    scope: ['github:GET:/repos/**'],
  });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const root = String(started.body.token);
  const taskId = String((started.body.task as Json).id);
  const second = await exchange(root, 'worker');
  const third = await exchange(second, 'helper');

  const page = await fx.api('GET', `/v1/audit?task=${taskId}&order=asc`);
  const events = (page.body.events as Json[]).map((r) => r.event as Json);
  assert.deepEqual(
    events.map((e) => e.kind),
    ['task.started', 'token.issued', 'token.exchanged', 'token.exchanged'],
  );
  const link = (l: Json) => [l.type, l.id];
  const [, issued, exchanged, last] = events;
  assert.ok(issued && exchanged && last);
  assert.deepEqual((issued.chain as Json[]).map(link), [
    ['user', 'user:alice'],
    ['agent', ids.orchestrator],
  ]);
  assert.deepEqual((last.chain as Json[]).map(link), [
    ['user', 'user:alice'],
    ['agent', ids.orchestrator],
    ['agent', ids.worker],
    ['agent', ids.helper],
  ]);
  assert.equal((last.chain as Json[])[0]?.name, 'alice');
  const token = last.token as Json;
  assert.equal(token.agent, ids.helper);
  assert.equal(token.parent, (exchanged.token as Json).id, 'the parent is the second-level token');
  assert.equal((last.actor as Json).taskId, taskId);

  // The access review lists each level's live token, by jti.
  const review = await fx.api('GET', '/v1/audit/access-review?since=1d');
  const agents = (review.body.review as Json).agents as Json[];
  const live = (name: string) => {
    const agent = agents.find((a) => a.name === name);
    assert.ok(agent);
    return (agent.tokens as Json[]).map((t) => t.id);
  };
  assert.deepEqual(live('helper'), [token.id]);
  assert.deepEqual(live('worker'), [(exchanged.token as Json).id]);
  assert.deepEqual(live('orchestrator'), [(issued.token as Json).id]);

  // The tokens themselves are nowhere in the store.
  const files = [fx.home.paths.store, `${fx.home.paths.store}-wal`];
  const bytes = Buffer.concat(
    await Promise.all(files.map((f) => readFile(f).catch(() => Buffer.alloc(0)))),
  ).toString('latin1');
  for (const t of [root, second, third]) {
    assert.ok(!bytes.includes(t.split('.')[2] ?? t), 'no token signature in the store');
  }
});
