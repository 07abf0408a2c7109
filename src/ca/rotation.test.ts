import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { type CaSet, createCa, pruneCaSet, rotateCa, trustBundlePem } from './index.ts';

const DAY = 24 * 3_600_000;
const T0 = Date.UTC(2030, 0, 1);

/** The fingerprints of the certificates in a PEM bundle, in order. */
function fingerprints(bundle: string): string[] {
  const pems = bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g) ?? [];
  assert.equal(pems.join(''), bundle, 'the bundle is only whole PEM blocks');
  return pems.map((pem) => new X509Certificate(pem).fingerprint256);
}

describe('CA rotation', () => {
  const first = createCa({ commonName: 'Airlock CA one', now: T0 });
  const second = createCa({ commonName: 'Airlock CA two', now: T0 + DAY });
  const third = createCa({ commonName: 'Airlock CA three', now: T0 + 2 * DAY });
  const initial: CaSet = { current: first, previous: [] };

  it('trusts only the current CA before any rotation', () => {
    assert.deepEqual(fingerprints(trustBundlePem(initial, T0)), [first.fingerprint256]);
  });

  it('makes the new CA current and retires the old one without its key', () => {
    const set = rotateCa(initial, second, T0 + 8 * DAY);
    assert.equal(set.current, second);
    assert.deepEqual(set.previous, [
      {
        certPem: first.certPem,
        fingerprint256: first.fingerprint256,
        notAfter: first.notAfter,
        overlapUntil: T0 + 8 * DAY,
      },
    ]);
    assert.ok(!JSON.stringify(set.previous).includes(first.keyPem));
    assert.deepEqual(initial, { current: first, previous: [] }, 'the input is not mutated');
  });

  it('bundles current then retired CAs until their overlap ends', () => {
    const set = rotateCa(rotateCa(initial, second, T0 + 5 * DAY), third, T0 + 9 * DAY);
    const all = [third.fingerprint256, second.fingerprint256, first.fingerprint256];
    assert.deepEqual(fingerprints(trustBundlePem(set, T0 + 5 * DAY - 1)), all);
    assert.deepEqual(fingerprints(trustBundlePem(set, T0 + 5 * DAY)), all.slice(0, 2));
    assert.deepEqual(fingerprints(trustBundlePem(set, T0 + 9 * DAY)), all.slice(0, 1));
  });

  it('caps the overlap at the retired CA’s own notAfter', () => {
    const set = rotateCa(initial, second, first.notAfter + 365 * DAY);
    assert.equal(set.previous[0]?.overlapUntil, first.notAfter);
  });

  it('rotating back to a retired CA removes it from the retired list', () => {
    const set = rotateCa(rotateCa(initial, second, T0 + 8 * DAY), first, T0 + 9 * DAY);
    assert.equal(set.current, first);
    assert.deepEqual(
      set.previous.map((ca) => ca.fingerprint256),
      [second.fingerprint256],
    );
    assert.deepEqual(fingerprints(trustBundlePem(set, T0)), [
      first.fingerprint256,
      second.fingerprint256,
    ]);
  });

  it('prunes ended overlaps, returning the same set when nothing ends', () => {
    const set = rotateCa(initial, second, T0 + 8 * DAY);
    assert.equal(pruneCaSet(set, T0 + 8 * DAY - 1), set);
    assert.deepEqual(pruneCaSet(set, T0 + 8 * DAY), { current: second, previous: [] });
  });

  it('throws TypeError when rotating to the current CA or with a bad time', () => {
    assert.throws(() => rotateCa(initial, first, T0 + DAY), TypeError);
    assert.throws(() => rotateCa(initial, { ...first }, T0 + DAY), TypeError);
    assert.throws(() => rotateCa(initial, second, Number.NaN), TypeError);
  });
});
