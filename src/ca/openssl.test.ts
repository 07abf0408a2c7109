// Differential checks: the OpenSSL CLI is the reference parser and verifier
// for what this module encodes by hand.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createCa, issueLeaf, rotateCa, trustBundlePem } from './index.ts';

const NOW = Date.UTC(2030, 0, 1, 12, 0, 0);
const DAY = 24 * 3_600_000;

const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : 'the openssl CLI is not installed';

describe('certificates as OpenSSL reads them', { skip }, () => {
  let dir = '';
  let count = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-ca-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes `pem` to a fresh file and returns its path. */
  const file = (pem: string): string => {
    const path = join(dir, `${count++}.pem`);
    writeFileSync(path, pem);
    return path;
  };
  const openssl = (...args: string[]): { ok: boolean; out: string } => {
    const run = spawnSync('openssl', args, { encoding: 'utf8' });
    return { ok: run.status === 0, out: `${run.stdout}${run.stderr}` };
  };
  const text = (pem: string): string => openssl('x509', '-noout', '-text', '-in', file(pem)).out;
  /** `openssl verify` at a fixed instant, strictly, for TLS server use. */
  const verify = (caPem: string, leafPem: string, at: number, ...extra: string[]) =>
    openssl(
      'verify',
      '-x509_strict',
      '-purpose',
      'sslserver',
      '-attime',
      String(Math.floor(at / 1000)),
      ...extra,
      '-CAfile',
      file(caPem),
      file(leafPem),
    );

  const ca = createCa({ commonName: 'Airlock CA openssl-test', now: NOW });

  it('shows the CA constraints: critical CA:TRUE pathlen:0 and keyCertSign only', () => {
    const out = text(ca.certPem);
    assert.match(out, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(out, /Issuer: O ?= ?Airlock, CN ?= ?Airlock CA openssl-test/);
    assert.match(out, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.match(out, /X509v3 Key Usage: critical\s+Certificate Sign\n/);
    assert.doesNotMatch(out, /Digital Signature|CRL Sign|Extended Key Usage/);
    assert.match(out, /X509v3 Subject Key Identifier:/);
    assert.match(out, /NIST CURVE: P-256/);
  });

  it('shows the leaf extensions, with the AKI equal to the CA SKI', () => {
    const out = text(issueLeaf(ca, 'api.example.test', NOW).certPem);
    assert.match(out, /Subject: CN ?= ?api.example.test/);
    assert.match(out, /X509v3 Basic Constraints: critical\s+CA:FALSE/);
    assert.match(out, /X509v3 Key Usage: critical\s+Digital Signature\n/);
    assert.match(out, /X509v3 Extended Key Usage:\s+TLS Web Server Authentication\n/);
    assert.match(out, /X509v3 Subject Alternative Name:\s+DNS:api.example.test\n/);
    const ski = /Subject Key Identifier:\s+([0-9A-F:]+)/.exec(text(ca.certPem))?.[1];
    const aki = /Authority Key Identifier:\s+(?:keyid:)?([0-9A-F:]+)/.exec(out)?.[1];
    assert.ok(ski);
    assert.equal(aki, ski);
  });

  it('verifies a DNS leaf strictly, for TLS server use and its hostname', () => {
    const leaf = issueLeaf(ca, 'api.example.test', NOW);
    const ok = verify(ca.certPem, leaf.certPem, NOW, '-verify_hostname', 'api.example.test');
    assert.ok(ok.ok, ok.out);
    const wrong = verify(ca.certPem, leaf.certPem, NOW, '-verify_hostname', 'evil.example.test');
    assert.equal(wrong.ok, false);
    assert.match(wrong.out, /hostname mismatch/i);
  });

  it('verifies IP literal leaves by iPAddress', () => {
    for (const ip of ['127.0.0.1', '::1', '2001:db8::1']) {
      const leaf = issueLeaf(ca, ip, NOW);
      const result = verify(ca.certPem, leaf.certPem, NOW, '-verify_ip', ip);
      assert.ok(result.ok, `${ip}: ${result.out}`);
    }
  });

  it('verifies a name too long for CN, by its critical SAN alone', () => {
    const host = `${'a'.repeat(60)}.${'b'.repeat(60)}.test`;
    const leaf = issueLeaf(ca, host, NOW);
    assert.match(text(leaf.certPem), /X509v3 Subject Alternative Name: critical/);
    const result = verify(ca.certPem, leaf.certPem, NOW, '-verify_hostname', host);
    assert.ok(result.ok, result.out);
  });

  it('refuses the leaf after notAfter and under another CA', () => {
    const leaf = issueLeaf(ca, 'a.test', NOW);
    const late = verify(ca.certPem, leaf.certPem, leaf.notAfter + 1000);
    assert.equal(late.ok, false);
    assert.match(late.out, /expired/);
    const other = createCa({ commonName: 'Airlock CA other', now: NOW });
    assert.equal(verify(other.certPem, leaf.certPem, NOW).ok, false);
  });

  it('verifies a CA dated past 2049 (GeneralizedTime) and its leaves', () => {
    const late = createCa({ commonName: 'Airlock CA 2049', now: Date.UTC(2049, 11, 31, 23) });
    assert.match(text(late.certPem), /Not After : .* 2059 GMT/);
    const leaf = issueLeaf(late, 'a.test', Date.UTC(2050, 0, 2));
    const result = verify(late.certPem, leaf.certPem, Date.UTC(2050, 0, 2));
    assert.ok(result.ok, result.out);
  });

  it('trusts a retired CA through the rotation overlap and not after', () => {
    const next = createCa({ commonName: 'Airlock CA next', now: NOW + DAY });
    const set = rotateCa({ current: ca, previous: [] }, next, NOW + 8 * DAY);
    const oldLeaf = issueLeaf(ca, 'a.test', NOW);
    const newLeaf = issueLeaf(next, 'a.test', NOW + DAY);
    const during = trustBundlePem(set, NOW + 2 * DAY);
    assert.ok(verify(during, oldLeaf.certPem, NOW + 2 * DAY).ok);
    assert.ok(verify(during, newLeaf.certPem, NOW + 2 * DAY).ok);
    const afterwards = trustBundlePem(set, NOW + 8 * DAY);
    assert.equal(verify(afterwards, oldLeaf.certPem, NOW + 2 * DAY).ok, false);
    assert.ok(verify(afterwards, newLeaf.certPem, NOW + 2 * DAY).ok);
  });
});
