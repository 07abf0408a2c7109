import { hash, randomFillSync, timingSafeEqual } from 'node:crypto';
import { base32 } from '../core/index.ts';

/** Fewest random bytes a token may carry: 128 bits, the floor for a bearer secret. */
const MIN_TOKEN_BYTES = 16;
const MAX_TOKEN_BYTES = 1024;

/**
 * A new bearer token: `prefix` followed by `bytes` CSPRNG bytes in lower-case
 * Crockford base32, e.g. `randomToken('alk_agent_')`. The prefix lets secret
 * scanners and humans recognise the token kind; the default 32 bytes give
 * 256 bits. Store only {@link sha256Hex} of the result.
 *
 * @throws TypeError if `bytes` is not an integer in 16..1024.
 */
export function randomToken(prefix: string, bytes = 32): string {
  if (typeof prefix !== 'string') throw new TypeError('prefix must be a string');
  if (!Number.isInteger(bytes) || bytes < MIN_TOKEN_BYTES || bytes > MAX_TOKEN_BYTES) {
    throw new TypeError(`bytes must be an integer in ${MIN_TOKEN_BYTES}..${MAX_TOKEN_BYTES}`);
  }
  return `${prefix}${base32(randomFillSync(new Uint8Array(bytes)))}`;
}

/**
 * Lower-case hex SHA-256 of `input` (strings are hashed as UTF-8). Tokens are
 * 256-bit random values, so a plain unsalted hash is enough to store them:
 * there is nothing to brute-force. One-shot `crypto.hash`: no Hash object
 * per call (about 1 µs against 2 for a 750-byte audit envelope), which
 * matters because every audit event and every proxied request hashes.
 */
export function sha256Hex(input: string | Uint8Array): string {
  return hash('sha256', input, 'hex');
}

/**
 * Compares two strings (hex digests, base64url MACs) by their UTF-8 bytes in
 * constant time with `crypto.timingSafeEqual`. Returns false, never throws,
 * when the byte lengths differ or either side is empty or not a string, so a
 * missing value can never match another missing value. Only the length is
 * revealed; callers compare values of a fixed length.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length > 0 && x.length === y.length && timingSafeEqual(x, y);
}
