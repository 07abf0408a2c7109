import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auditFixture, requestEvent } from '../../test/helpers/audit.ts';
import { isAirlockError } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import { GENESIS_HASH } from './chain.ts';
import { AuditWriter } from './writer.ts';

/** `store` recording the size of every batch appended through it. */
function countingBatches(store: Store): { counting: Store; batches: number[] } {
  const batches: number[] = [];
  const counting: Store = {
    ...store,
    appendAuditRows: (rows, head) => {
      batches.push(rows.length);
      return store.appendAuditRows(rows, head);
    },
  };
  return { counting, batches };
}

test('append resolves only once the event is committed: another connection sees it', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  const receipt = await fx.log.append(requestEvent(fx, 'bot', 'github'));
  const row = fx.raw((db) =>
    db.prepare('SELECT id, hash FROM audit_events WHERE seq = ?').get(receipt.seq),
  );
  assert.deepEqual({ ...row }, { id: receipt.id, hash: receipt.hash });
  const head = fx.raw((db) =>
    db.prepare("SELECT seq, hash FROM audit_anchors WHERE kind = 'head'").get(),
  );
  assert.deepEqual({ ...head }, { seq: 1, hash: receipt.hash });
});

test('events submitted together commit in one transaction (group commit)', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  const { counting, batches } = countingBatches(fx.store);
  const writer = new AuditWriter(
    { store: counting, signer: fx.signer, instance: 'inst_test', clock: fx.clock },
    { seq: 0, hash: GENESIS_HASH },
  );
  const receipts = await Promise.all(
    Array.from({ length: 200 }, () => writer.append(requestEvent(fx, 'bot', 'github'))),
  );
  assert.deepEqual(batches, [200]);
  assert.deepEqual(
    receipts.map((r) => r.seq),
    Array.from({ length: 200 }, (_, i) => i + 1),
  );

  // With maxBatch 1, group commit is off: one transaction per event.
  batches.length = 0;
  const single = new AuditWriter(
    { store: counting, signer: fx.signer, instance: 'inst_test', clock: fx.clock, maxBatch: 1 },
    writer.head,
  );
  await Promise.all(Array.from({ length: 5 }, () => single.append(requestEvent(fx, 'bot', 'x'))));
  assert.deepEqual(batches, [1, 1, 1, 1, 1]);
});

test('a deferred event rides with the next urgent one, or commits alone once deferMs runs out', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  const { counting, batches } = countingBatches(fx.store);
  const writer = new AuditWriter(
    { store: counting, signer: fx.signer, instance: 'inst_test', clock: fx.clock, deferMs: 10_000 },
    { seq: 0, hash: GENESIS_HASH },
  );
  let deferredDone = false;
  const deferred = writer.append(requestEvent(fx, 'bot', 'outcome'), { defer: true }).then((r) => {
    deferredDone = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(deferredDone, false, 'a deferred event waits for company');
  assert.deepEqual(batches, []);
  const urgent = await writer.append(requestEvent(fx, 'bot', 'next'));
  assert.deepEqual(batches, [2], 'one transaction carries both');
  assert.equal((await deferred).seq, 1, 'chain order is append order');
  assert.equal(urgent.seq, 2);

  // Alone, it commits when its window runs out.
  const quick = new AuditWriter(
    { store: counting, signer: fx.signer, instance: 'inst_test', clock: fx.clock, deferMs: 20 },
    writer.head,
  );
  const started = Date.now();
  const alone = await quick.append(requestEvent(fx, 'bot', 'late'), { defer: true });
  assert.ok(Date.now() - started >= 15, 'waited for its window');
  assert.equal(alone.seq, 3);
  assert.deepEqual(batches, [2, 1]);

  // close() commits what is deferred at once.
  const pending = quick.append(requestEvent(fx, 'bot', 'at-close'), { defer: true });
  await quick.close();
  assert.equal((await pending).seq, 4);
  assert.deepEqual(batches, [2, 1, 1]);
});

test('a failed commit rejects its batch with ERR_AUDIT_UNAVAILABLE and keeps the head', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  await fx.log.append(requestEvent(fx, 'bot', 'github'));
  let fail = true;
  const flaky: Store = {
    ...fx.store,
    appendAuditRows: (rows, head) =>
      fail ? Promise.reject(new Error('disk full')) : fx.store.appendAuditRows(rows, head),
  };
  const writer = new AuditWriter(
    { store: flaky, signer: fx.signer, instance: 'inst_test', clock: fx.clock },
    { seq: 1, hash: (await fx.store.lastAuditRow())?.hash ?? '' },
  );
  const results = await Promise.allSettled([
    writer.append(requestEvent(fx, 'bot', 'a')),
    writer.append(requestEvent(fx, 'bot', 'b')),
  ]);
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.ok(isAirlockError(r.status === 'rejected' ? r.reason : null, 'ERR_AUDIT_UNAVAILABLE'));
  }
  assert.equal(writer.head.seq, 1);
  fail = false;
  const ok = await writer.append(requestEvent(fx, 'bot', 'c'));
  assert.equal(ok.seq, 2, 'the chain continues from the last committed event');
});

test('append refuses a credential-shaped event before it is queued, and after close', async (t) => {
  t.plan(2);
  const fx = await auditFixture();
  t.after(() => fx.close());
  const event = requestEvent(fx, 'bot', 'github', { path: '/x' });
  await assert.rejects(
    fx.log.append({ ...event, service: 'alk_ph_0123456789abcdefghjkmn' }),
    (err: unknown) => {
      t.assert.equal(isAirlockError(err, 'ERR_AUDIT_REFUSED'), true);
      return true;
    },
  );
  await fx.log.close();
  await assert.rejects(fx.log.append(event), (err: unknown) => {
    t.assert.equal(isAirlockError(err, 'ERR_AUDIT_UNAVAILABLE'), true);
    return true;
  });
});

test('a follower waiting for a commit is woken by it', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  const woken = fx.log.waitForCommit(60_000);
  await fx.log.append(requestEvent(fx, 'bot', 'github'));
  await woken;
  const aborted = new AbortController();
  const waiting = fx.log.waitForCommit(60_000, aborted.signal);
  aborted.abort();
  await waiting;
});

test('event ids follow commit time, so later batches sort after earlier ones', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const batch = await Promise.all(
      Array.from({ length: 20 }, () => fx.log.append(requestEvent(fx, 'bot', 'github'))),
    );
    ids.push(...batch.map((r) => r.id).sort());
    fx.clock.advance(1);
  }
  assert.deepEqual([...ids].sort(), ids);
  assert.equal(new Set(ids).size, 100);
});
