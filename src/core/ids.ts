import { randomBytes } from 'node:crypto';

declare const brand: unique symbol;
/** A string that the type system keeps apart from other strings of another brand. */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type WorkspaceId = Brand<string, 'WorkspaceId'>;
export type SecretId = Brand<string, 'SecretId'>;
export type ApiKeyId = Brand<string, 'ApiKeyId'>;
export type AgentId = Brand<string, 'AgentId'>;
export type ServiceId = Brand<string, 'ServiceId'>;
export type GrantId = Brand<string, 'GrantId'>;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

/**
 * Encodes bytes as lower-case Crockford base32 (no padding). Used for ids and
 * for the random part of keys, so they survive copy/paste, URLs and shells.
 */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const byte of bytes) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/** A new random identifier `<prefix>_<26 base32 chars>` (128 bits of randomness). */
export function newId<T extends string>(prefix: string): T {
  return `${prefix}_${base32(randomBytes(16))}` as T;
}
