import { type KeyObject, sign, verify } from 'node:crypto';
import { AirlockError } from '../core/index.ts';

/** The only JOSE header Airlock writes or accepts (RFC 7515 §4.1, RFC 8037 §3.1). */
export interface TokenHeader {
  readonly alg: 'EdDSA';
  readonly typ: typeof TOKEN_TYP;
  readonly kid: string;
}

/** `typ` of a task token: explicit typing (RFC 8725 §3.11), so no other JWT passes for one. */
export const TOKEN_TYP = 'airlock+jwt';

/** Longest compact JWS we parse; a task token with a full scope is well under this. */
export const MAX_TOKEN_LENGTH = 16_384;
const B64URL = /^[A-Za-z0-9_-]+$/;
const KID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The one error every malformed, forged or unverifiable token collapses
 * into, whatever the reason: like jose's `JWSSignatureVerificationFailed`,
 * it says nothing an attacker could steer by.
 */
export function invalidToken(cause?: unknown): AirlockError {
  return new AirlockError(
    'ERR_TOKEN_INVALID',
    'the token is invalid',
    cause === undefined ? undefined : { cause },
  );
}

/** base64url without padding (RFC 7515 §2). */
export function b64u(data: Uint8Array | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * Strict base64url decoding: only the URL-safe alphabet, no padding, and
 * canonical (re-encoding gives the input back), so one token has exactly
 * one spelling and `Buffer`'s lenient decoder never skips characters.
 */
export function fromB64u(text: string): Buffer {
  if (!B64URL.test(text)) throw invalidToken();
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw invalidToken();
  return bytes;
}

function jsonObject(bytes: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw invalidToken(cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidToken();
  return value as Record<string, unknown>;
}

/**
 * Signs `payload` as a compact JWS (RFC 7515 §7.1) with Ed25519 (RFC 8037
 * §3.1, `alg: EdDSA`): `b64u(header) . b64u(payload) . b64u(signature)`.
 */
export function signCompact(kid: string, payload: object, key: KeyObject): string {
  if (!KID.test(kid)) throw new TypeError('kid must be 1-128 base64url characters');
  const header: TokenHeader = { alg: 'EdDSA', typ: TOKEN_TYP, kid };
  const input = `${b64u(JSON.stringify(header))}.${b64u(JSON.stringify(payload))}`;
  return `${input}.${b64u(sign(null, Buffer.from(input, 'ascii'), key))}`;
}

/**
 * Verifies a compact JWS and returns its `kid` and payload, the payload
 * still `unknown` in shape.
 *
 * Strict, in the manner of jose: three non-empty base64url parts; a header
 * that is exactly `{ alg: 'EdDSA', typ: 'airlock+jwt', kid }` (no `none`,
 * no HMAC with a public key as secret, no `jwk`/`jku`/`crit`: algorithm
 * confusion has nothing to work with, RFC 8725 §2.1); a `kid` that
 * `keyFor` knows; a 64-byte Ed25519 signature over the exact signing input
 * (RFC 7515 §5.2). Every failure is the same `ERR_TOKEN_INVALID`.
 */
export function verifyCompact(
  token: string,
  keyFor: (kid: string) => KeyObject | null,
): { kid: string; payload: Record<string, unknown> } {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw invalidToken();
  const parts = token.split('.');
  if (parts.length !== 3) throw invalidToken();
  const [h, p, s] = parts as [string, string, string];
  const header = jsonObject(fromB64u(h));
  const keys = Object.keys(header);
  if (
    keys.length !== 3 ||
    header.alg !== 'EdDSA' ||
    header.typ !== TOKEN_TYP ||
    typeof header.kid !== 'string' ||
    !KID.test(header.kid)
  ) {
    throw invalidToken();
  }
  const key = keyFor(header.kid);
  if (key === null || key.asymmetricKeyType !== 'ed25519') throw invalidToken();
  const signature = fromB64u(s);
  if (signature.length !== 64) throw invalidToken();
  const payloadBytes = fromB64u(p);
  if (!verify(null, Buffer.from(`${h}.${p}`, 'ascii'), key, signature)) throw invalidToken();
  return { kid: header.kid, payload: jsonObject(payloadBytes) };
}
