import { createCipheriv, createDecipheriv, hkdfSync, randomFillSync } from 'node:crypto';
import { AirlockError, type SecretId, type WorkspaceId } from '../core/index.ts';

/** Bytes in every key this module takes or makes (AES-256). */
export const KEY_BYTES = 32;

const VERSION = 0x01;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + NONCE_BYTES;
const HKDF_SALT = 'airlock:hkdf:v1';
const DATA_KEY_WRAP_LABEL = 'data-key-wrap';

function assertKey(key: unknown, what: string): asserts key is Uint8Array {
  if (!(key instanceof Uint8Array) || key.byteLength !== KEY_BYTES) {
    throw new TypeError(`${what} must be a Uint8Array of ${KEY_BYTES} bytes`);
  }
}

function assertText(value: unknown, what: string): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(`${what} must be a non-empty string`);
  }
}

/** AAD fields are joined with ':', so a field holding ':' could forge another field split. */
function assertAadField(value: unknown, what: string): asserts value is string {
  assertText(value, what);
  if (value.includes(':')) throw new TypeError(`${what} must not contain ':'`);
}

/** The authenticated data: the version byte, then the caller's context string (UTF-8). */
function aadBytes(aad: string): Buffer {
  return Buffer.concat([Buffer.of(VERSION), Buffer.from(aad, 'utf8')]);
}

/**
 * Encrypts `plaintext` with AES-256-GCM under `key`, with a fresh random
 * 12-byte nonce per call (NIST SP 800-38D §8.2.2), and binds it to `aad`: the
 * same `aad` must be given to {@link open}. Output format:
 * `0x01 | nonce (12) | ciphertext | tag (16)`. The version byte is
 * authenticated too, so a future format cannot be downgraded into this one.
 *
 * @throws TypeError if `key` is not 32 bytes or `aad` is empty.
 */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Uint8Array {
  assertKey(key, 'key');
  if (!(plaintext instanceof Uint8Array)) throw new TypeError('plaintext must be a Uint8Array');
  assertText(aad, 'aad');
  const header = Buffer.alloc(HEADER_BYTES);
  header[0] = VERSION;
  randomFillSync(header, 1, NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, header.subarray(1), {
    authTagLength: TAG_BYTES,
  });
  cipher.setAAD(aadBytes(aad));
  const body = cipher.update(plaintext);
  const final = cipher.final();
  return join(header, body, final, cipher.getAuthTag());
}

/**
 * Decrypts a value made by {@link seal} under the same `key` and `aad`.
 *
 * Every failure (a wrong key, a wrong `aad`, a flipped bit, a truncated
 * value, an unknown version) throws the same `AirlockError('ERR_DECRYPT')`
 * with the same message and no cause, so a caller learns nothing about why.
 *
 * @throws TypeError if `key` is not 32 bytes, `sealed` not bytes or `aad` empty.
 */
export function open(key: Uint8Array, sealed: Uint8Array, aad: string): Uint8Array {
  assertKey(key, 'key');
  if (!(sealed instanceof Uint8Array)) throw new TypeError('sealed must be a Uint8Array');
  assertText(aad, 'aad');
  if (sealed.byteLength < HEADER_BYTES + TAG_BYTES || sealed[0] !== VERSION) throw decryptFailed();
  const nonce = sealed.subarray(1, HEADER_BYTES);
  const body = sealed.subarray(HEADER_BYTES, sealed.byteLength - TAG_BYTES);
  const tag = sealed.subarray(sealed.byteLength - TAG_BYTES);
  let plain: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aadBytes(aad));
    decipher.setAuthTag(tag);
    plain = decipher.update(body);
    const final = decipher.final();
    return join(plain, final);
  } catch {
    // The cause is dropped on purpose: it would say which check failed.
    throw decryptFailed();
  } finally {
    // Wipe the intermediate (and, on failure, unauthenticated) plaintext.
    plain?.fill(0);
  }
}

/**
 * Concatenates into a fresh, unpooled `Uint8Array`. Buffer.concat would place
 * small results in Node's shared allocation pool, where a key or plaintext
 * could not be wiped on its own and outlives its caller.
 */
function join(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.byteLength;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

function decryptFailed(): AirlockError {
  return new AirlockError('ERR_DECRYPT', 'decryption failed');
}

/**
 * Derives a 32-byte subkey of `rootKey` for one purpose with HKDF-SHA256
 * (RFC 5869), using `label` as the `info` input and a fixed salt. The root key
 * itself only ever feeds HKDF, so each use (data-key wrapping, the verifier,
 * instance blobs) gets an independent key. The label `'verify'` and
 * `'data-key-wrap'` are taken by this module.
 *
 * @throws TypeError if `rootKey` is not 32 bytes or `label` is empty.
 */
export function deriveKey(rootKey: Uint8Array, label: string): Uint8Array {
  assertKey(rootKey, 'rootKey');
  assertText(label, 'label');
  return new Uint8Array(hkdfSync('sha256', rootKey, HKDF_SALT, label, KEY_BYTES));
}

/** A new random 32-byte data key, as each workspace gets one. */
export function newDataKey(): Uint8Array {
  return randomFillSync(new Uint8Array(KEY_BYTES));
}

/** AAD for a workspace data key: binds the wrapped key to its workspace. */
function dataKeyAad(workspaceId: WorkspaceId): string {
  assertAadField(workspaceId, 'workspaceId');
  return `airlock:dk:v1:${workspaceId}`;
}

/**
 * Wraps (seals) a workspace data key under a subkey of the root key, bound to
 * `workspaceId`, for `WorkspaceRecord.wrappedKey`. Rotating the root key means
 * unwrapping and re-wrapping these, and nothing else.
 *
 * @throws TypeError if either key is not 32 bytes.
 */
export function wrapDataKey(
  rootKey: Uint8Array,
  dataKey: Uint8Array,
  workspaceId: WorkspaceId,
): Uint8Array {
  assertKey(dataKey, 'dataKey');
  return seal(deriveKey(rootKey, DATA_KEY_WRAP_LABEL), dataKey, dataKeyAad(workspaceId));
}

/**
 * Unwraps a data key made by {@link wrapDataKey}. A wrong root key, a key
 * wrapped for another workspace, or a damaged value all throw
 * `AirlockError('ERR_DECRYPT')`. Check the root key against its verifier
 * first (see `loadRootKey`) so that a wrong root key is reported as such.
 */
export function unwrapDataKey(
  rootKey: Uint8Array,
  wrapped: Uint8Array,
  workspaceId: WorkspaceId,
): Uint8Array {
  const dataKey = open(deriveKey(rootKey, DATA_KEY_WRAP_LABEL), wrapped, dataKeyAad(workspaceId));
  if (dataKey.byteLength !== KEY_BYTES) throw decryptFailed();
  return dataKey;
}

/**
 * AAD for one secret version, sealed under its workspace data key. It names
 * the workspace, the secret and the version, so a ciphertext row copied to
 * another secret, version or workspace fails to decrypt.
 *
 * @throws TypeError if an id is empty or holds ':', or `version` is not a positive integer.
 */
export function secretAad(workspaceId: WorkspaceId, secretId: SecretId, version: number): string {
  assertAadField(workspaceId, 'workspaceId');
  assertAadField(secretId, 'secretId');
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new TypeError('version must be a positive integer');
  }
  return `airlock:secret:v1:${workspaceId}:${secretId}:${version}`;
}

/**
 * AAD for an instance-level blob (the CA private key, the token-signing key)
 * sealed directly under `deriveKey(rootKey, label)` and kept in the store's
 * meta table. `name` should be the meta key, so blobs cannot be swapped.
 *
 * @throws TypeError if `name` is empty.
 */
export function instanceAad(name: string): string {
  assertText(name, 'name');
  return `airlock:instance:v1:${name}`;
}
