import assert from 'node:assert/strict';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { createCa } from './index.ts';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0, 500);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('createCa', () => {
  const ca = createCa({ commonName: 'Airlock CA 01jtest', now: NOW });
  const cert = new X509Certificate(ca.certPem);

  it('makes a self-signed CA certificate for the given name', () => {
    assert.equal(cert.ca, true);
    assert.equal(cert.subject, 'O=Airlock\nCN=Airlock CA 01jtest');
    assert.equal(cert.issuer, cert.subject);
    assert.equal(cert.checkIssued(cert), true);
    assert.equal(cert.verify(cert.publicKey), true);
    assert.equal(cert.fingerprint256, ca.fingerprint256);
  });

  it('uses an ECDSA P-256 key, returned as PKCS#8 PEM matching the certificate', () => {
    assert.match(ca.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(ca.keyPem);
    assert.equal(key.asymmetricKeyType, 'ec');
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(cert.checkPrivateKey(key), true);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it('starts an hour before now (clock skew) and lasts 3650 days by default', () => {
    const notBefore = NOW - HOUR - 500; // whole seconds
    assert.equal(ca.notBefore, notBefore);
    assert.equal(ca.notAfter, notBefore + 3650 * DAY);
    assert.equal(cert.validFromDate.getTime(), ca.notBefore);
    assert.equal(cert.validToDate.getTime(), ca.notAfter);
  });

  it('honours validityDays, switching to GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
    const short = createCa({ commonName: 'short', now: NOW, validityDays: 30 });
    assert.equal(short.notAfter - short.notBefore, 30 * DAY);
    const long = createCa({ commonName: 'long', now: NOW, validityDays: 36_500 });
    const longCert = new X509Certificate(long.certPem);
    assert.equal(longCert.validToDate.getUTCFullYear(), 2129);
    assert.equal(longCert.validToDate.getTime(), long.notAfter);
  });

  it('draws a random positive 16-octet serial', () => {
    const other = new X509Certificate(createCa({ commonName: 'x', now: NOW }).certPem);
    for (const serial of [cert.serialNumber, other.serialNumber]) {
      assert.match(serial, /^[4-7][0-9A-F]{31}$/);
    }
    assert.notEqual(cert.serialNumber, other.serialNumber);
  });

  it('derives the key identifier by RFC 5280 §4.2.1.2 method 1', () => {
    // Reference: SHA-1 over the uncompressed point, the BIT STRING's value for P-256.
    const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
    const expected = createHash('sha1')
      .update(spki.subarray(spki.length - 65))
      .digest();
    assert.ok(cert.raw.includes(Buffer.concat([Buffer.of(0x04, 0x14), expected])));
  });

  const bad: [string, Parameters<typeof createCa>[0]][] = [
    ['empty name', { commonName: '', now: NOW }],
    ['name over 64 characters', { commonName: 'a'.repeat(65), now: NOW }],
    ['control character in name', { commonName: 'Airlock\nCA', now: NOW }],
    ['NaN now', { commonName: 'a', now: Number.NaN }],
    ['zero validity', { commonName: 'a', now: NOW, validityDays: 0 }],
    ['fractional validity', { commonName: 'a', now: NOW, validityDays: 1.5 }],
  ];
  for (const [name, options] of bad) {
    it(`throws TypeError for ${name}`, () => {
      assert.throws(() => createCa(options), TypeError);
    });
  }
});
