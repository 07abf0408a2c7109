import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { isAirlockError } from '../core/index.ts';
import { createCa, issueLeaf, MAX_LEAF_LIFETIME_MS } from './index.ts';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('issueLeaf', () => {
  const ca = createCa({ commonName: 'Airlock CA leaf-test', now: NOW });
  const caCert = new X509Certificate(ca.certPem);

  it('issues a server certificate for a DNS name, signed by the CA', () => {
    const leaf = issueLeaf(ca, 'api.example.test', NOW);
    const cert = new X509Certificate(leaf.certPem);
    assert.equal(cert.ca, false);
    assert.equal(cert.checkIssued(caCert), true);
    assert.equal(cert.verify(caCert.publicKey), true);
    assert.equal(cert.issuer, caCert.subject);
    assert.equal(cert.subject, 'CN=api.example.test');
    assert.equal(cert.subjectAltName, 'DNS:api.example.test');
    assert.equal(cert.checkHost('api.example.test'), 'api.example.test');
    assert.equal(cert.checkHost('other.example.test'), undefined);
    assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']); // extKeyUsage serverAuth
  });

  it('gives each leaf its own P-256 key, returned as PKCS#8 PEM', () => {
    const a = issueLeaf(ca, 'a.test', NOW);
    const b = issueLeaf(ca, 'a.test', NOW);
    const key = createPrivateKey(a.keyPem);
    assert.equal(key.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.equal(new X509Certificate(a.certPem).checkPrivateKey(key), true);
    assert.notEqual(a.keyPem, b.keyPem);
    assert.notEqual(a.keyPem, ca.keyPem);
  });

  it('is valid from an hour before now for at most 7 days', () => {
    const leaf = issueLeaf(ca, 'a.test', NOW);
    const cert = new X509Certificate(leaf.certPem);
    assert.equal(cert.validFromDate.getTime(), NOW - HOUR);
    assert.equal(cert.validToDate.getTime(), leaf.notAfter);
    assert.ok(leaf.notAfter - cert.validFromDate.getTime() <= 7 * DAY);
    assert.equal(MAX_LEAF_LIFETIME_MS, 7 * DAY);
  });

  it('honours a shorter lifetime', () => {
    const leaf = issueLeaf(ca, 'a.test', NOW, 2 * HOUR);
    assert.equal(leaf.notAfter, NOW + HOUR);
  });

  it('throws TypeError for a lifetime over 7 days or not positive', () => {
    for (const lifetime of [7 * DAY + 1, 30 * DAY, 0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => issueLeaf(ca, 'a.test', NOW, lifetime), TypeError, String(lifetime));
    }
  });

  it('never outlives the CA, and refuses once the CA has expired', (t) => {
    t.plan(3);
    const shortCa = createCa({ commonName: 'short-lived', now: NOW, validityDays: 2 });
    const leaf = issueLeaf(shortCa, 'a.test', NOW + DAY);
    t.assert.equal(leaf.notAfter, shortCa.notAfter);
    t.assert.throws(
      () => issueLeaf(shortCa, 'a.test', shortCa.notAfter),
      (err) => isAirlockError(err, 'ERR_CA_EXPIRED'),
    );
    t.assert.throws(
      () => issueLeaf(shortCa, 'a.test', shortCa.notAfter + DAY),
      (err) => isAirlockError(err, 'ERR_CA_EXPIRED'),
    );
  });

  const ipCases: [string, string][] = [
    ['127.0.0.1', 'IP Address:127.0.0.1'],
    ['10.1.2.3', 'IP Address:10.1.2.3'],
    ['::1', 'IP Address:0:0:0:0:0:0:0:1'],
    ['2001:db8::8:800:200c:417a', 'IP Address:2001:DB8:0:0:8:800:200C:417A'],
    ['::ffff:192.0.2.1', 'IP Address:0:0:0:0:0:FFFF:C000:201'],
    ['fe80::', 'IP Address:FE80:0:0:0:0:0:0:0'],
  ];
  for (const [host, san] of ipCases) {
    it(`puts IP literal ${host} in an iPAddress SAN`, () => {
      const cert = new X509Certificate(issueLeaf(ca, host, NOW).certPem);
      assert.equal(cert.subjectAltName?.toUpperCase(), san.toUpperCase());
      assert.equal(cert.checkIP(host), host);
      assert.equal(cert.checkHost(host, { subject: 'never' }), undefined, 'no dNSName');
    });
  }

  it('omits CN for a name over 64 characters and keeps it in the SAN', () => {
    const host = `${'a'.repeat(60)}.${'b'.repeat(60)}.test`;
    const cert = new X509Certificate(issueLeaf(ca, host, NOW).certPem);
    assert.equal(cert.subject, undefined, 'empty subject Name');
    assert.equal(cert.subjectAltName, `DNS:${host}`);
    assert.equal(cert.checkHost(host), host);
  });

  const goodHosts = ['localhost', 'a.b', 'xn--bcher-kva.example', 'a-b.c-d.test', '0a.test'];
  for (const host of goodHosts) {
    it(`accepts ${host}`, () => {
      assert.equal(new X509Certificate(issueLeaf(ca, host, NOW).certPem).checkHost(host), host);
    });
  }

  const badHosts: [string, unknown][] = [
    ['empty', ''],
    ['upper case', 'API.example.test'],
    ['wildcard', '*.example.test'],
    ['trailing dot', 'example.test.'],
    ['empty label', 'a..test'],
    ['leading hyphen', '-a.test'],
    ['trailing hyphen', 'a-.test'],
    ['underscore', 'a_b.test'],
    ['space', 'a b.test'],
    ['CRLF', 'a.test\r\nX: y'],
    ['NUL', 'a.test\u0000.evil'],
    ['slash', 'a.test/path'],
    ['port', 'a.test:443'],
    ['userinfo', 'user@a.test'],
    ['non-ASCII', 'bücher.example'],
    ['label over 63', `${'a'.repeat(64)}.test`],
    ['name over 253', `${'a.'.repeat(127)}test`],
    ['numeric last label', '1.2.3'],
    ['leading-zero IPv4', '01.2.3.4'],
    ['bracketed IPv6', '[::1]'],
    ['IPv6 zone', 'fe80::1%eth0'],
    ['upper-case IPv6', 'FE80::1'],
    ['not a string', 42],
  ];
  for (const [name, host] of badHosts) {
    it(`throws TypeError for a host with ${name}`, () => {
      assert.throws(() => issueLeaf(ca, host as string, NOW), TypeError);
    });
  }

  it('fails closed with ERR_CA_INVALID for a CA whose key does not match', (t) => {
    t.plan(2);
    const other = createCa({ commonName: 'other', now: NOW });
    t.assert.throws(
      () => issueLeaf({ ...ca, keyPem: other.keyPem }, 'a.test', NOW),
      (err) => isAirlockError(err, 'ERR_CA_INVALID') && !String(err).includes('PRIVATE KEY'),
    );
    t.assert.throws(
      () => issueLeaf({ ...ca, certPem: 'not a certificate' }, 'a.test', NOW),
      (err) => isAirlockError(err, 'ERR_CA_INVALID'),
    );
  });

  it('refuses to issue under a certificate that is not a CA', (t) => {
    t.plan(1);
    const leaf = issueLeaf(ca, 'a.test', NOW);
    const asCa = { ...ca, certPem: leaf.certPem, keyPem: leaf.keyPem };
    t.assert.throws(
      () => issueLeaf(asCa, 'b.test', NOW),
      (err) => isAirlockError(err, 'ERR_CA_INVALID'),
    );
  });
});
