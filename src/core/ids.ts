import { randomFillSync } from 'node:crypto';

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

const ID_BYTES = 16;
/**
 * Ids are made on every proxied request (audit events), so their random
 * bytes come from the CSPRNG 256 ids at a time rather than one call each.
 * Ids are names, not secrets: nothing is keyed on them.
 */
const idPool = Buffer.alloc(ID_BYTES * 256);
let idPoolAt = idPool.length;

function randomIdBytes(): Buffer {
  if (idPoolAt === idPool.length) {
    randomFillSync(idPool);
    idPoolAt = 0;
  }
  const bytes = idPool.subarray(idPoolAt, idPoolAt + ID_BYTES);
  idPoolAt += ID_BYTES;
  return bytes;
}

/** A new random identifier `<prefix>_<26 base32 chars>` (128 bits of randomness). */
export function newId<T extends string>(prefix: string): T {
  return `${prefix}_${base32(randomIdBytes())}` as T;
}

/** The largest time a time-ordered id holds: 2^48 - 1 ms after the epoch (year 10889). */
const MAX_ID_TIME_MS = 2 ** 48 - 1;

/**
 * A new identifier in the same form as {@link newId}, whose first 48 bits are
 * `timeMs` (big-endian) and whose other 80 are random, so ids made later sort
 * later (the ULID layout). For rows written in bulk under a unique index: a
 * random key lands each insert on its own index page, a time-ordered one on
 * the last page, so a commit rewrites one page of that index, not one per
 * row. The time it reveals is the time its row records anyway. The time
 * only orders ids, so one outside 0..2^48-1 ms (a broken clock) is clamped
 * rather than refused: an id is still unique by its 80 random bits.
 */
export function newTimeOrderedId<T extends string>(prefix: string, timeMs: number): T {
  const t = Number.isNaN(timeMs) ? 0 : Math.min(Math.max(Math.floor(timeMs), 0), MAX_ID_TIME_MS);
  // The pool's slice is spent once handed out, so the time goes in place.
  const bytes = randomIdBytes();
  bytes.writeUIntBE(t, 0, 6);
  return `${prefix}_${base32(bytes)}` as T;
}
