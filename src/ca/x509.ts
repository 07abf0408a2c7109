import { createHash, type KeyObject, randomBytes, sign } from 'node:crypto';
import {
  bitString,
  boolean,
  explicit,
  ia5String,
  implicit,
  integer,
  namedBits,
  octetString,
  oid,
  sequence,
  setOf,
  time,
  utf8String,
} from './der.ts';
import { childrenOf, contentOf, readElement } from './der-reader.ts';
import type { LeafHost } from './host.ts';

/** Object identifiers this module writes. */
const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2', // RFC 5758 §3.2
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** KeyUsage bit positions (RFC 5280 §4.2.1.3). */
export const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const;

/** ub-common-name (RFC 5280 Appendix A.1). */
export const MAX_COMMON_NAME = 64;

/** One certificate extension (RFC 5280 §4.1.2.9); `value` is the DER of extnValue's contents. */
export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Buffer;
}

/** The TBSCertificate fields that vary between certificates (RFC 5280 §4.1.2). */
export interface CertificateFields {
  readonly serial: Buffer;
  /** DER Name of the issuer, byte-for-byte the issuer certificate's subject. */
  readonly issuer: Buffer;
  readonly subject: Buffer;
  readonly notBefore: number;
  readonly notAfter: number;
  /** DER SubjectPublicKeyInfo, embedded as-is. */
  readonly spki: Buffer;
  readonly extensions: readonly Extension[];
}

const SIGNATURE_ALGORITHM = sequence(oid(OID.ecdsaWithSha256)); // parameters absent, RFC 5758 §3.2

/**
 * Builds a v3 TBSCertificate and signs it with `issuerKey` (an ECDSA key)
 * using ecdsa-with-SHA256, returning the DER Certificate (RFC 5280 §4.1).
 */
export function signCertificate(fields: CertificateFields, issuerKey: KeyObject): Buffer {
  const tbs = sequence(
    explicit(0, integer(2)), // version v3
    integer(fields.serial),
    SIGNATURE_ALGORITHM,
    fields.issuer,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    fields.spki,
    explicit(3, sequence(...fields.extensions.map(encodeExtension))),
  );
  const signature = sign('sha256', tbs, { key: issuerKey, dsaEncoding: 'der' });
  return sequence(tbs, SIGNATURE_ALGORITHM, bitString(signature));
}

function encodeExtension(ext: Extension): Buffer {
  // DER omits a BOOLEAN equal to its DEFAULT (FALSE), X.690 §11.5.
  const critical = ext.critical ? [boolean(true)] : [];
  return sequence(oid(ext.oid), ...critical, octetString(ext.value));
}

/** PEM armour (RFC 7468 §2): base64 in 64-character lines. */
export function toPem(der: Uint8Array, label: 'CERTIFICATE'): string {
  const lines =
    Buffer.from(der)
      .toString('base64')
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * A Name of at most two RDNs, O then CN, each a UTF8String
 * (RFC 5280 §4.1.2.4). With neither, the Name is the empty sequence.
 */
export function distinguishedName(parts: {
  readonly organization?: string;
  readonly commonName?: string;
}): Buffer {
  const rdn = (type: string, value: string): Buffer =>
    setOf(sequence(oid(type), utf8String(value)));
  const rdns: Buffer[] = [];
  if (parts.organization !== undefined) rdns.push(rdn(OID.organization, parts.organization));
  if (parts.commonName !== undefined) rdns.push(rdn(OID.commonName, parts.commonName));
  return sequence(...rdns);
}

/**
 * A random, positive, 16-octet serial number (RFC 5280 §4.1.2.2: positive,
 * at most 20 octets, unique per CA). The top bit is cleared so it stays
 * positive and the next is set so it keeps all 16 octets: 126 random bits.
 */
export function randomSerial(): Buffer {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes;
}

/**
 * The key identifier of RFC 5280 §4.2.1.2 method 1: SHA-1 of the
 * subjectPublicKey BIT STRING's value (without tag, length or unused-bits octet).
 */
export function keyIdentifier(spki: Uint8Array): Buffer {
  const [, subjectPublicKey] = childrenOf(spki, readElement(spki, 0));
  if (subjectPublicKey === undefined || subjectPublicKey.tag !== 0x03) {
    throw new TypeError('not a SubjectPublicKeyInfo');
  }
  const bits = contentOf(spki, subjectPublicKey).subarray(1);
  return createHash('sha1').update(bits).digest();
}

/** basicConstraints (RFC 5280 §4.2.1.9), always critical here. */
export function basicConstraints(ca: boolean, pathLen?: number): Extension {
  const fields = ca ? [boolean(true), ...(pathLen === undefined ? [] : [integer(pathLen)])] : [];
  return { oid: OID.basicConstraints, critical: true, value: sequence(...fields) };
}

/** keyUsage (RFC 5280 §4.2.1.3), critical as the section recommends. */
export function keyUsage(bits: readonly number[]): Extension {
  return { oid: OID.keyUsage, critical: true, value: namedBits(bits) };
}

/** extKeyUsage id-kp-serverAuth (RFC 5280 §4.2.1.12). */
export function serverAuth(): Extension {
  return { oid: OID.extKeyUsage, critical: false, value: sequence(oid(OID.serverAuth)) };
}

/** subjectKeyIdentifier (RFC 5280 §4.2.1.2). */
export function subjectKeyIdentifier(keyId: Buffer): Extension {
  return { oid: OID.subjectKeyIdentifier, critical: false, value: octetString(keyId) };
}

/** authorityKeyIdentifier with keyIdentifier `[0] IMPLICIT` only (RFC 5280 §4.2.1.1). */
export function authorityKeyIdentifier(keyId: Buffer): Extension {
  return {
    oid: OID.authorityKeyIdentifier,
    critical: false,
    value: sequence(implicit(0, octetString(keyId))),
  };
}

/**
 * subjectAltName with one `dNSName [2]` or `iPAddress [7]` (RFC 5280
 * §4.2.1.6). It must be critical when the subject Name is empty.
 */
export function subjectAltName(host: LeafHost, critical: boolean): Extension {
  const name =
    host.kind === 'dns' ? implicit(2, ia5String(host.name)) : implicit(7, octetString(host.octets));
  return { oid: OID.subjectAltName, critical, value: sequence(name) };
}
