import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditFixture, requestEvent, WS } from '../../test/helpers/audit.ts';
import { isAirlockError } from '../core/index.ts';
import { parseAuditQuery } from './query.ts';

test('prune removes the events before a time and the rest verifies from the signed checkpoint', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  const t0 = fx.clock.now();
  const ids: string[] = [];
  for (let i = 0; i < 20; i++) {
    fx.clock.set(t0 + i * 1000);
    ids.push((await fx.log.append(requestEvent(fx, 'bot', 'github'))).id);
  }
  const report = await fx.log.prune(t0 + 12_000);
  assert.equal(report.removed, 12);
  assert.deepEqual(report.base && { seq: report.base.seq, id: report.base.id }, {
    seq: 12,
    id: ids[11],
  });

  const verified = await fx.log.verify();
  assert.equal(verified.ok, true, verified.problem?.message);
  assert.equal(verified.checked, 8);
  assert.deepEqual(verified.first, { seq: 13, id: ids[12] });
  assert.equal(verified.base?.seq, 12);

  // The chain goes on from there, and survives a restart.
  await fx.log.append(requestEvent(fx, 'bot', 'github'));
  await fx.reopen();
  assert.equal((await fx.log.verify()).ok, true);
  const left = await fx.log.query(WS, parseAuditQuery(new URLSearchParams('limit=1000'), 0));
  assert.equal(left.events.length, 9);

  // Pruning again with nothing before the time removes nothing.
  assert.deepEqual(await fx.log.prune(t0), { removed: 0, base: null });
});

test('prune never removes an event at or after the time, even behind a clock step', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  const t0 = fx.clock.now();
  for (const offset of [0, 1000, 5000, 2000, 6000]) {
    fx.clock.set(t0 + offset);
    await fx.log.append(requestEvent(fx, 'bot', 'github'));
  }
  const report = await fx.log.prune(t0 + 4000);
  assert.equal(report.removed, 2, 'the event at +5s stops the prefix; +2s after it stays');
  assert.equal((await fx.log.verify()).ok, true);
});

test('a forged checkpoint is detected, and prune refuses to remove evidence from a broken chain', async (t) => {
  t.plan(3);
  const fx = await auditFixture();
  t.after(() => fx.close());
  const t0 = fx.clock.now();
  for (let i = 0; i < 6; i++) {
    fx.clock.set(t0 + i * 1000);
    await fx.log.append(requestEvent(fx, 'bot', 'github'));
  }
  await fx.log.prune(t0 + 3000);
  fx.raw((db) => db.prepare(`UPDATE audit_anchors SET seq = 2 WHERE kind = 'base'`).run());
  const report = await fx.log.verify();
  t.assert.equal(report.problem?.code, 'base_invalid');

  fx.raw((db) => db.prepare(`UPDATE audit_anchors SET seq = 3 WHERE kind = 'base'`).run());
  fx.raw((db) => db.prepare('DELETE FROM audit_events WHERE seq = 5').run());
  await assert.rejects(fx.log.prune(t0 + 10_000), (err: unknown) => {
    t.assert.equal(isAirlockError(err, 'ERR_AUDIT_CHAIN_BROKEN'), true);
    return true;
  });
  const rows = fx.raw((db) => db.prepare('SELECT COUNT(*) AS n FROM audit_events').get());
  t.assert.equal(rows?.n, 2, 'nothing was removed');
});
