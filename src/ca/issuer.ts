import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { AirlockError } from '../core/index.ts';
import type { CaMaterial } from './ca.ts';
import { oid } from './der.ts';
import { childrenOf, contentOf, type Element, encodingOf, readElement } from './der-reader.ts';
import { keyIdentifier } from './x509.ts';

/**
 * A CA made ready to sign: its key parsed once, and the two things every
 * leaf copies from its certificate. Built once per CA, not per leaf, because
 * parsing PEM is a measurable part of a new tunnel's budget.
 */
export interface Issuer {
  readonly fingerprint256: string;
  /** The CA certificate's subject Name, DER, byte-for-byte (RFC 5280 §4.1.2.4). */
  readonly name: Buffer;
  /** The CA's subjectKeyIdentifier, for the leaves' authorityKeyIdentifier (RFC 5280 §4.2.1.1). */
  readonly keyId: Buffer;
  readonly key: KeyObject;
  readonly notAfter: number;
}

const SKI_OID = oid('2.5.29.14');

function invalid(message: string, cause?: unknown): AirlockError {
  return new AirlockError(
    'ERR_CA_INVALID',
    `the CA is unusable: ${message}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Checks that `ca` can issue leaves and prepares it. The certificate must
 * parse, be a CA, and hold the public half of a P-256 private key. A stored
 * CA that fails any check is corrupt or tampered with, so this fails closed
 * with `ERR_CA_INVALID`; it never names the key or echoes the PEM.
 */
export function prepareIssuer(ca: CaMaterial): Issuer {
  let cert: X509Certificate;
  let key: KeyObject;
  try {
    cert = new X509Certificate(ca.certPem);
  } catch (cause) {
    throw invalid('the certificate does not parse', cause);
  }
  try {
    key = createPrivateKey(ca.keyPem);
  } catch (cause) {
    throw invalid('the private key does not parse', cause);
  }
  if (!cert.ca) throw invalid('the certificate is not a CA');
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw invalid('the key is not ECDSA P-256');
  }
  if (!cert.checkPrivateKey(key)) throw invalid('the key does not match the certificate');

  const der = cert.raw;
  const tbs = tbsFields(der);
  const subject = tbs.fields[5];
  if (subject === undefined) throw invalid('the certificate has no subject');
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return {
    fingerprint256: cert.fingerprint256,
    name: encodingOf(der, subject),
    keyId: storedKeyId(der, tbs.extensions) ?? keyIdentifier(spki),
    key,
    notAfter: cert.validToDate.getTime(),
  };
}

/**
 * The TBSCertificate fields from `version` to `subjectPublicKeyInfo`, with
 * an implicit v1 `version` filled in so indices stay fixed, plus the
 * `[3]` extensions if present (RFC 5280 §4.1).
 */
function tbsFields(der: Buffer): {
  fields: (Element | undefined)[];
  extensions: Element | undefined;
} {
  const [tbs] = childrenOf(der, readElement(der, 0));
  if (tbs === undefined) throw invalid('the certificate is empty');
  const children = childrenOf(der, tbs);
  const fields: (Element | undefined)[] =
    children[0]?.tag === 0xa0 ? children : [undefined, ...children];
  return { fields, extensions: children.find((el) => el.tag === 0xa3) };
}

/** The keyIdentifier inside the certificate's own subjectKeyIdentifier, if it has one. */
function storedKeyId(der: Buffer, extensions: Element | undefined): Buffer | undefined {
  if (extensions === undefined) return undefined;
  const [list] = childrenOf(der, extensions);
  if (list === undefined) return undefined;
  for (const ext of childrenOf(der, list)) {
    const parts = childrenOf(der, ext);
    const id = parts[0];
    const value = parts[parts.length - 1];
    if (id === undefined || value === undefined || !encodingOf(der, id).equals(SKI_OID)) continue;
    const inner = contentOf(der, value);
    return contentOf(inner, readElement(inner, 0));
  }
  return undefined;
}
