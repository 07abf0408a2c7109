import { KEY_BYTES } from './envelope.ts';

/** Most bytes a key file or key command may produce; anything longer is not a key. */
export const MAX_KEY_TEXT_BYTES = 4096;

const BASE64_KEY = /^[A-Za-z0-9+/]{43}=?$/;
const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/** The text written to a key file: the key in standard base64 and a newline. */
export function encodeKeyText(key: Uint8Array): string {
  return `${Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64')}\n`;
}

/**
 * Parses key text (a key file's content or a key command's stdout): 32 bytes
 * as base64 (44 chars, padding optional) or as 64 hex chars, with surrounding
 * ASCII whitespace allowed. Returns a fresh 32-byte array, or null when the
 * text is anything else; the caller turns null into one opaque error.
 */
export function decodeKeyText(raw: Uint8Array): Uint8Array | null {
  if (raw.byteLength > MAX_KEY_TEXT_BYTES) return null;
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
    .toString('latin1')
    .replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  let decoded: Buffer;
  if (HEX_KEY.test(text)) decoded = Buffer.from(text, 'hex');
  else if (BASE64_KEY.test(text)) decoded = Buffer.from(text, 'base64');
  else return null;
  if (decoded.byteLength !== KEY_BYTES) {
    decoded.fill(0);
    return null;
  }
  // Copy out of Buffer's shared pool so the caller owns (and may wipe) the key.
  const key = new Uint8Array(KEY_BYTES);
  key.set(decoded);
  decoded.fill(0);
  return key;
}
