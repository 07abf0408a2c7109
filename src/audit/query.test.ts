import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditFixture, deniedEvent, requestEvent, WS } from '../../test/helpers/audit.ts';
import { isAirlockError, type WorkspaceId } from '../core/index.ts';
import { type AuditQuery, parseAuditQuery } from './query.ts';

const q = (text: string, now = 0): AuditQuery => parseAuditQuery(new URLSearchParams(text), now);

test('query filters: agent, task, service, decision, kind, since and until each narrow', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  const t0 = fx.clock.now();
  for (let i = 0; i < 60; i++) {
    fx.clock.set(t0 + i * 60_000);
    const agent = i % 3 === 0 ? 'alpha' : 'beta';
    const service = i % 2 === 0 ? 'github' : 'slack';
    await fx.log.append(
      i % 5 === 0
        ? deniedEvent(fx, agent, service)
        : requestEvent(fx, agent, service, { taskId: i < 30 ? 'task_early' : 'task_late' }),
    );
  }
  const count = async (text: string) => {
    const page = await fx.log.query(WS, q(`${text}&limit=1000`, fx.clock.now()));
    return page.events.length;
  };
  assert.equal(await count(''), 60);
  assert.equal(await count('agent=alpha'), 20);
  assert.equal(await count('agent=agt_alpha'), 20, 'by id as well as by name');
  assert.equal(await count('service=github'), 30);
  assert.equal(await count('decision=deny'), 12);
  assert.equal(await count('decision=allow'), 48);
  assert.equal(await count('kind=proxy.denied'), 12);
  assert.equal(await count('kind=proxy.'), 60);
  assert.equal(await count('task=task_early'), 24);
  assert.equal(await count(`since=${t0 + 50 * 60_000}`), 10);
  assert.equal(await count(`until=${t0 + 10 * 60_000}`), 10);
  assert.equal(await count('since=5m'), 6, 'a duration back from now');
  assert.equal(await count('agent=alpha&service=github&decision=deny'), 2);
  assert.equal(await count('agent=nobody'), 0);
  const other = await fx.log.query('ws_other' as WorkspaceId, q('limit=1000'));
  assert.equal(other.events.length, 0, 'no query crosses workspaces');
});

test('keyset paging walks every event exactly once, in both orders', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  await Promise.all(
    Array.from({ length: 250 }, (_, i) => fx.log.append(requestEvent(fx, 'bot', `s${i % 7}`))),
  );
  for (const order of ['desc', 'asc'] as const) {
    const seen: number[] = [];
    let cursor: string | null = null;
    for (;;) {
      const page = await fx.log.query(
        WS,
        q(`order=${order}&limit=40${cursor === null ? '' : `&cursor=${cursor}`}`),
      );
      seen.push(...page.events.map((e) => e.seq));
      cursor = page.next;
      if (!page.more) break;
    }
    const want = Array.from({ length: 250 }, (_, i) => i + 1);
    assert.deepEqual(seen, order === 'asc' ? want : want.reverse());
  }
  // A follower's cursor stays put when nothing new has arrived.
  const tail = await fx.log.query(WS, q('order=asc&cursor=250'));
  assert.deepEqual(tail, { events: [], next: '250', more: false });
});

test('bad query parameters are refused with ERR_INVALID_ARGUMENT, never echoed', (t) => {
  const bad = [
    'decision=maybe',
    'kind=nope',
    'since=yesterday',
    'limit=0',
    'limit=5000',
    'cursor=-1',
    'order=sideways',
    'agent=a%20b',
    'extra=1',
    'agent=a&agent=b',
  ];
  t.plan(bad.length * 2);
  for (const text of bad) {
    try {
      q(text);
    } catch (err) {
      t.assert.equal(isAirlockError(err, 'ERR_INVALID_ARGUMENT'), true, text);
      t.assert.equal(
        !(err as Error).message.includes('yesterday') &&
          !(err as Error).message.includes('sideways'),
        true,
      );
    }
  }
});
