import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import { auditFixture, requestEvent } from '../../test/helpers/audit.ts';
import { anchorMessage, anchorValid, ed25519Signer, headAnchor, signAnchor } from './anchor.ts';

const signer = ed25519Signer(generateKeyPairSync('ed25519').privateKey);
const other = ed25519Signer(generateKeyPairSync('ed25519').privateKey);
const POINT = { seq: 42, hash: 'a'.repeat(64) };

test('a head is authenticated by the head MAC, under a key derived from the signing key', () => {
  const head = headAnchor(signer, 'inst_1', POINT, 1_700_000_000_000);
  assert.equal(head.kind, 'head');
  assert.equal(head.keyId, signer.macKeyId);
  assert.match(head.keyId, /^hmac-[0-9a-f]{32}$/);
  assert.notEqual(signer.macKeyId, other.macKeyId);
  assert.equal(anchorValid(signer, 'inst_1', head), true);
  // Another install, another key, or any changed field: refused.
  assert.equal(anchorValid(signer, 'inst_2', head), false);
  assert.equal(anchorValid(other, 'inst_1', head), false);
  for (const forged of [
    { ...head, seq: 41 },
    { ...head, hash: 'b'.repeat(64) },
    { ...head, timeMs: head.timeMs + 1 },
    { ...head, signature: head.signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
    { ...head, signature: '' },
    { ...head, signature: head.signature.slice(0, -1) },
  ]) {
    assert.equal(anchorValid(signer, 'inst_1', forged), false, JSON.stringify(forged));
  }
});

test('a base checkpoint must be signed: a MAC relabelled as a base is refused', () => {
  const head = headAnchor(signer, 'inst_1', POINT, 1);
  assert.equal(anchorValid(signer, 'inst_1', { ...head, kind: 'base' }), false);
  // Even with a MAC computed over the base's own fields.
  const unsigned = { kind: 'base' as const, ...POINT, timeMs: 1, keyId: signer.macKeyId };
  const macBase = { ...unsigned, signature: signer.mac(anchorMessage('inst_1', unsigned)) };
  assert.equal(anchorValid(signer, 'inst_1', macBase), false);
  const base = signAnchor(signer, 'inst_1', 'base', POINT, 1);
  assert.equal(base.keyId, signer.keyId);
  assert.equal(anchorValid(signer, 'inst_1', base), true);
});

test('a head signed with Ed25519 (by an earlier version) is still accepted', () => {
  const head = signAnchor(signer, 'inst_1', 'head', POINT, 1);
  assert.equal(anchorValid(signer, 'inst_1', head), true);
  assert.equal(anchorValid(other, 'inst_1', head), false);
});

test('every commit stores a MAC head; a signed head left by an earlier version resumes without an anomaly', async (t) => {
  const fx = await auditFixture();
  t.after(() => fx.close());
  await fx.log.append(requestEvent(fx, 'bot', 'svc'));
  const stored = await fx.store.getAuditAnchor('head');
  assert.equal(stored?.keyId, fx.signer.macKeyId);
  // Replace it with the Ed25519 head the previous version would have written.
  await fx.log.close();
  const legacy = signAnchor(fx.signer, fx.log.context.instance, 'head', stored ?? POINT, 5);
  fx.raw((db) =>
    db
      .prepare(
        `UPDATE audit_anchors SET key_id = ?, signature = ?, time_ms = ? WHERE kind = 'head'`,
      )
      .run(legacy.keyId, legacy.signature, legacy.timeMs),
  );
  await fx.reopen();
  assert.equal((await fx.store.lastAuditRow())?.kind, 'proxy.request', 'no anomaly was recorded');
  const report = await fx.log.verify();
  assert.equal(report.ok, true, report.problem?.message);
});
