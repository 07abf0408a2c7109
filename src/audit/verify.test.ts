import assert from 'node:assert/strict';
import type { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { type AuditFixture, auditFixture, requestEvent } from '../../test/helpers/audit.ts';
import { sha256Hex } from '../crypto/index.ts';
import type { ChainProblemCode } from './verify.ts';

/** A fixture holding ten committed events; returns their ids in chain order. */
async function tenEvents(t: { after(fn: () => Promise<void>): void }): Promise<{
  fx: AuditFixture;
  ids: string[];
}> {
  const fx = await auditFixture();
  t.after(() => fx.close());
  const ids: string[] = [];
  for (let i = 0; i < 10; i++) {
    fx.clock.advance(1000);
    ids.push((await fx.log.append(requestEvent(fx, 'bot', `svc${i}`))).id);
  }
  return { fx, ids };
}

function exec(db: DatabaseSync, sql: string, ...params: (string | number)[]): void {
  db.prepare(sql).run(...params);
}

async function expectProblem(
  fx: AuditFixture,
  code: ChainProblemCode,
  id: string | null,
  mentions: readonly string[] = [],
): Promise<void> {
  const report = await fx.log.verify();
  assert.equal(report.ok, false);
  assert.equal(report.problem?.code, code, report.problem?.message);
  assert.equal(report.problem?.id, id);
  for (const m of mentions) assert.ok(report.problem?.message.includes(m), report.problem?.message);
}

test('an intact chain verifies', async (t) => {
  const { fx, ids } = await tenEvents(t);
  const report = await fx.log.verify();
  assert.equal(report.ok, true, report.problem?.message);
  assert.equal(report.checked, 10);
  assert.deepEqual(report.first, { seq: 1, id: ids[0] });
  assert.deepEqual(report.last, { seq: 10, id: ids[9] });
  assert.equal(report.head?.seq, 10);
});

test('tamper-edit: an edited event fails its own hash, located by id', async (t) => {
  const { fx, ids } = await tenEvents(t);
  fx.raw((db) =>
    exec(
      db,
      `UPDATE audit_events SET event = replace(event, 'api.svc3', 'api.other') WHERE seq = 4`,
    ),
  );
  await expectProblem(fx, 'hash_mismatch', ids[3] as string);
});

test('tamper-edit with the hash recomputed: the next link breaks and names the edited event', async (t) => {
  const { fx, ids } = await tenEvents(t);
  fx.raw((db) => {
    const row = db.prepare('SELECT * FROM audit_events WHERE seq = 4').get() as Record<
      string,
      string
    >;
    const event = String(row.event).replace('"GET"', '"POST"');
    const hash = sha256Hex(
      `{"event":${event},"id":${JSON.stringify(row.id)},"prevHash":${JSON.stringify(row.prev_hash)},"seq":4}`,
    );
    exec(db, 'UPDATE audit_events SET event = ?, hash = ? WHERE seq = 4', event, hash);
  });
  await expectProblem(fx, 'prev_mismatch', ids[4] as string, [ids[3] as string]);
});

test('tamper-delete: a deleted event leaves a gap, located between its neighbours', async (t) => {
  const { fx, ids } = await tenEvents(t);
  fx.raw((db) => exec(db, 'DELETE FROM audit_events WHERE seq = 4'));
  await expectProblem(fx, 'seq_gap', ids[4] as string, [ids[2] as string]);
});

test('tamper-delete: deleting the first events is detected', async (t) => {
  const { fx, ids } = await tenEvents(t);
  fx.raw((db) => exec(db, 'DELETE FROM audit_events WHERE seq <= 2'));
  await expectProblem(fx, 'seq_gap', ids[2] as string, ['seq 1']);
});

test('tamper-reorder: swapping two events fails the hash at the first moved one', async (t) => {
  const { fx, ids } = await tenEvents(t);
  fx.raw((db) => {
    exec(db, 'UPDATE audit_events SET seq = 1000 WHERE seq = 4');
    exec(db, 'UPDATE audit_events SET seq = 4 WHERE seq = 5');
    exec(db, 'UPDATE audit_events SET seq = 5 WHERE seq = 1000');
  });
  await expectProblem(fx, 'hash_mismatch', ids[4] as string, ['seq 4']);
});

test('tamper-truncate: a removed tail no longer reaches the signed head', async (t) => {
  const { fx, ids } = await tenEvents(t);
  fx.raw((db) => exec(db, 'DELETE FROM audit_events WHERE seq >= 8'));
  await expectProblem(fx, 'truncated', ids[6] as string, ['3 event(s)']);
});

test('tamper-truncate: removing the head too is detected', async (t) => {
  const { fx } = await tenEvents(t);
  fx.raw((db) => {
    exec(db, 'DELETE FROM audit_events WHERE seq >= 8');
    exec(db, `DELETE FROM audit_anchors WHERE kind = 'head'`);
  });
  await expectProblem(fx, 'head_missing', null);
});

test('tamper-truncate: a head re-pointed at the new end fails its signature', async (t) => {
  const { fx } = await tenEvents(t);
  fx.raw((db) => {
    exec(db, 'DELETE FROM audit_events WHERE seq >= 8');
    const last = db.prepare('SELECT hash FROM audit_events WHERE seq = 7').get() as {
      hash: string;
    };
    exec(db, `UPDATE audit_anchors SET seq = 7, hash = ? WHERE kind = 'head'`, last.hash);
  });
  await expectProblem(fx, 'head_invalid', null);
});

test('tamper-edit: an edited filter column is detected, so queries cannot be made to hide events', async (t) => {
  const { fx, ids } = await tenEvents(t);
  fx.raw((db) => exec(db, `UPDATE audit_events SET agent_name = 'someone-else' WHERE seq = 6`));
  await expectProblem(fx, 'index_mismatch', ids[5] as string);
});

test('tampering while Airlock is stopped is put on record at start, and still located', async (t) => {
  const { fx, ids } = await tenEvents(t);
  await fx.log.close();
  fx.raw((db) => exec(db, 'DELETE FROM audit_events WHERE seq >= 9'));
  await fx.reopen();
  const anomaly = await fx.store.lastAuditRow();
  assert.equal(anomaly?.kind, 'audit.anomaly');
  assert.equal(anomaly?.seq, 11, 'the writer resumed after the signed head, leaving the gap');
  assert.match(anomaly?.event ?? '', /"anomaly":"head_ahead"/);
  await expectProblem(fx, 'seq_gap', anomaly?.id ?? '', [ids[7] as string]);
});
