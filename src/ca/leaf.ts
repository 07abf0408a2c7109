import { generateKeyPairSync } from 'node:crypto';
import { AirlockError } from '../core/index.ts';
import { type CaMaterial, CLOCK_SKEW_MS } from './ca.ts';
import { type LeafHost, parseLeafHost } from './host.ts';
import { type Issuer, prepareIssuer } from './issuer.ts';
import {
  authorityKeyIdentifier,
  basicConstraints,
  distinguishedName,
  KEY_USAGE,
  keyIdentifier,
  keyUsage,
  MAX_COMMON_NAME,
  randomSerial,
  serverAuth,
  signCertificate,
  subjectAltName,
  subjectKeyIdentifier,
  toPem,
} from './x509.ts';

/** The longest validity span a leaf may have: 7 days (notBefore to notAfter). */
export const MAX_LEAF_LIFETIME_MS = 7 * 24 * 3_600_000;

/** A leaf certificate for one host, and its private key. */
export interface LeafMaterial {
  readonly certPem: string;
  /** PKCS#8 PEM of the leaf's own P-256 key. */
  readonly keyPem: string;
  /** Milliseconds since the epoch, whole seconds. */
  readonly notAfter: number;
}

/**
 * A fresh leaf key pair, already encoded. OpenSSL encodes both halves while
 * generating them, so with the async generator that work, too, stays off the
 * event loop.
 */
export interface LeafKeyPair {
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Buffer;
  /** PKCS#8 PEM. */
  readonly keyPem: string;
}

/** Options that make `generateKeyPair(Sync)` return a {@link LeafKeyPair}'s encodings. */
export const LEAF_KEY_OPTIONS = {
  namedCurve: 'prime256v1',
  publicKeyEncoding: { type: 'spki', format: 'der' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
} as const;

/**
 * Issues a TLS server certificate for `host`, signed by `ca`, with a fresh
 * P-256 key that no other host shares.
 *
 * - subject `CN=<host>` (omitted above the 64-character bound, when the SAN
 *   becomes critical, RFC 5280 §4.2.1.6); subjectAltName `dNSName`, or
 *   `iPAddress` for an IP literal;
 * - basicConstraints `cA` FALSE, keyUsage digitalSignature (critical),
 *   extKeyUsage serverAuth, and key identifiers linking it to the CA
 *   (RFC 5280 §4.2.1.1, §4.2.1.2, §4.2.1.3, §4.2.1.9, §4.2.1.12).
 * - notBefore is an hour before `now` (clock skew), and notAfter is
 *   `lifetimeMs` after notBefore but never after the CA's own notAfter.
 *
 * Throws `TypeError` for a host that is not a lower-case DNS name or IP
 * literal and for a lifetime outside (0, 7 days]; `ERR_CA_INVALID` for an
 * unusable CA and `ERR_CA_EXPIRED` once the CA no longer covers `now`.
 */
export function issueLeaf(
  ca: CaMaterial,
  host: string,
  now: number,
  lifetimeMs: number = MAX_LEAF_LIFETIME_MS,
): LeafMaterial {
  const parsed = parseLeafHost(host);
  checkLeafTiming(now, lifetimeMs);
  const { publicKey, privateKey } = generateKeyPairSync('ec', LEAF_KEY_OPTIONS);
  return signLeaf(prepareIssuer(ca), parsed, now, lifetimeMs, {
    spki: publicKey,
    keyPem: privateKey,
  });
}

/** Throws `TypeError` unless `now` is finite and `lifetimeMs` is in (0, 7 days]. */
export function checkLeafTiming(now: number, lifetimeMs: number): void {
  if (!Number.isFinite(now)) throw new TypeError('now must be a finite number of ms');
  if (!Number.isFinite(lifetimeMs) || lifetimeMs < 1000 || lifetimeMs > MAX_LEAF_LIFETIME_MS) {
    throw new TypeError('leaf lifetime must be from 1 s to 7 days');
  }
}

/**
 * The signing half of {@link issueLeaf}, for callers that hold a prepared
 * issuer and made the key pair themselves (the cache makes it off the event
 * loop). Arguments must already be validated.
 */
export function signLeaf(
  issuer: Issuer,
  host: LeafHost,
  now: number,
  lifetimeMs: number,
  keys: LeafKeyPair,
): LeafMaterial {
  const notBefore = Math.floor((now - CLOCK_SKEW_MS) / 1000) * 1000;
  const notAfter = Math.min(notBefore + Math.floor(lifetimeMs / 1000) * 1000, issuer.notAfter);
  if (notAfter <= now) {
    throw new AirlockError('ERR_CA_EXPIRED', 'the CA has expired; rotate it to issue certificates');
  }
  const { spki } = keys;
  const withCn = host.name.length <= MAX_COMMON_NAME;
  const der = signCertificate(
    {
      serial: randomSerial(),
      issuer: issuer.name,
      subject: distinguishedName(withCn ? { commonName: host.name } : {}),
      notBefore,
      notAfter,
      spki,
      extensions: [
        basicConstraints(false),
        keyUsage([KEY_USAGE.digitalSignature]),
        serverAuth(),
        subjectAltName(host, !withCn),
        authorityKeyIdentifier(issuer.keyId),
        subjectKeyIdentifier(keyIdentifier(spki)),
      ],
    },
    issuer.key,
  );
  return {
    certPem: toPem(der, 'CERTIFICATE'),
    keyPem: keys.keyPem,
    notAfter,
  };
}
