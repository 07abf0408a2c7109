import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import {
  basicConstraints,
  distinguishedName,
  KEY_USAGE,
  keyIdentifier,
  keyUsage,
  MAX_COMMON_NAME,
  randomSerial,
  signCertificate,
  subjectKeyIdentifier,
  toPem,
} from './x509.ts';

/**
 * A certificate authority as stored: its self-signed certificate, its
 * private key, and facts read from the certificate. The key is the most
 * sensitive thing here; the store keeps it under the envelope (DESIGN.md,
 * "Secrets at rest") and nothing prints it.
 */
export interface CaMaterial {
  readonly certPem: string;
  /** PKCS#8 PEM of the ECDSA P-256 private key. */
  readonly keyPem: string;
  /** Milliseconds since the epoch, whole seconds. */
  readonly notBefore: number;
  readonly notAfter: number;
  /** SHA-256 of the DER certificate, as `AB:CD:…` (the form `X509Certificate` prints). */
  readonly fingerprint256: string;
}

/** Options for {@link createCa}. */
export interface CreateCaOptions {
  /** Subject and issuer CN; make it unique to the install, e.g. `Airlock CA <random id>`. */
  readonly commonName: string;
  /** Milliseconds since the epoch; the caller's clock, so tests control time. */
  readonly now: number;
  /** Default 3650. */
  readonly validityDays?: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** How far back notBefore is set, so a client whose clock runs slow still accepts. */
export const CLOCK_SKEW_MS = HOUR;

/**
 * Creates a self-signed ECDSA P-256 root CA for the intercepting proxy.
 *
 * Subject and issuer are `O=Airlock, CN=<commonName>`. The extensions
 * confine the key to signing leaf certificates and nothing else:
 * - basicConstraints, critical, `cA` TRUE with `pathLenConstraint` 0, so it
 *   cannot certify another CA (RFC 5280 §4.2.1.9);
 * - keyUsage, critical, keyCertSign only: no digitalSignature, so the key
 *   cannot serve TLS itself, and no cRLSign, since Airlock publishes no CRLs
 *   and leaves are short-lived instead (RFC 5280 §4.2.1.3);
 * - subjectKeyIdentifier by method 1 (RFC 5280 §4.2.1.2), which leaves name
 *   in their authorityKeyIdentifier.
 *
 * notBefore is one hour before `now` to tolerate clock skew; the validity
 * span is `validityDays` from there. Throws `TypeError` on bad options.
 */
export function createCa(options: CreateCaOptions): CaMaterial {
  const { commonName, now, validityDays = 3650 } = options;
  if (
    typeof commonName !== 'string' ||
    commonName.length === 0 ||
    commonName.length > MAX_COMMON_NAME ||
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    /[\u0000-\u001f\u007f]/.test(commonName)
  ) {
    throw new TypeError(
      `commonName must be 1–${MAX_COMMON_NAME} characters without control characters`,
    );
  }
  if (!Number.isFinite(now)) throw new TypeError('now must be a finite number of ms');
  if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > 36_500) {
    throw new TypeError('validityDays must be an integer from 1 to 36500');
  }

  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const name = distinguishedName({ organization: 'Airlock', commonName });
  const notBefore = Math.floor((now - CLOCK_SKEW_MS) / 1000) * 1000;
  const notAfter = notBefore + validityDays * DAY;
  const der = signCertificate(
    {
      serial: randomSerial(),
      issuer: name,
      subject: name,
      notBefore,
      notAfter,
      spki,
      extensions: [
        basicConstraints(true, 0),
        keyUsage([KEY_USAGE.keyCertSign]),
        subjectKeyIdentifier(keyIdentifier(spki)),
      ],
    },
    privateKey,
  );
  const certPem = toPem(der, 'CERTIFICATE');
  return {
    certPem,
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    notBefore,
    notAfter,
    fingerprint256: new X509Certificate(der).fingerprint256,
  };
}
