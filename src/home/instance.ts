import { randomBytes } from 'node:crypto';
import type { CaMaterial } from '../ca/index.ts';
import { AirlockError } from '../core/index.ts';
import { instanceAad, open, seal, sha256Hex } from '../crypto/index.ts';
import type { StoreOps } from '../store/index.ts';

/**
 * Instance-level keys live in the store's meta table. The instance key (for
 * the CA key and, later, the token-signing keys) is wrapped by the root key
 * like a workspace data key, so rotating the root key re-wraps it only.
 */
const INSTANCE_KEY = 'instance_key';
const ROOT_KEY_ID = 'root_key_id';
const CA = 'ca';

/** Which root key the store's keys are wrapped under: a hash of its verifier. */
export function rootKeyId(verifier: string): string {
  return sha256Hex(`airlock:root-key-id:v1:${verifier}`);
}

export async function readRootKeyId(tx: StoreOps): Promise<string | null> {
  const v = await tx.getMeta(ROOT_KEY_ID);
  return v === null ? null : Buffer.from(v).toString('utf8');
}

export async function writeRootKeyId(tx: StoreOps, id: string): Promise<void> {
  await tx.putMeta(ROOT_KEY_ID, Buffer.from(id, 'utf8'));
}

/** Creates and stores a new instance key, wrapped by `rootKey`. */
export async function createInstanceKey(tx: StoreOps, rootKey: Uint8Array): Promise<Uint8Array> {
  const key = randomBytes(32);
  await tx.putMeta(INSTANCE_KEY, seal(rootKey, key, instanceAad(INSTANCE_KEY)));
  return key;
}

/** Unwraps the instance key. */
export async function loadInstanceKey(tx: StoreOps, rootKey: Uint8Array): Promise<Uint8Array> {
  const wrapped = await tx.getMeta(INSTANCE_KEY);
  if (wrapped === null) throw new AirlockError('ERR_STORE', 'the store has no instance key');
  return open(rootKey, wrapped, instanceAad(INSTANCE_KEY));
}

/** Re-wraps the instance key under a new root key. */
export async function rewrapInstanceKey(
  tx: StoreOps,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
): Promise<void> {
  const key = await loadInstanceKey(tx, oldRoot);
  await tx.putMeta(INSTANCE_KEY, seal(newRoot, key, instanceAad(INSTANCE_KEY)));
}

/** A CA as stored: the certificate in the clear, the key sealed under the instance key. */
interface StoredCa {
  readonly certPem: string;
  readonly sealedKey: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly fingerprint256: string;
  /** For a retired CA: until when agents should still trust it. */
  readonly overlapUntil?: number;
}

/** The current CA and those retired by `ca rotate` that are still in their overlap. */
export interface CaSet {
  readonly current: CaMaterial;
  readonly previous: readonly (CaMaterial & { readonly overlapUntil: number })[];
}

function sealCa(ca: CaMaterial, key: Uint8Array, overlapUntil?: number): StoredCa {
  const sealedKey = Buffer.from(
    seal(key, Buffer.from(ca.keyPem), instanceAad(`ca:${ca.fingerprint256}`)),
  ).toString('base64');
  const base = {
    certPem: ca.certPem,
    sealedKey,
    notBefore: ca.notBefore,
    notAfter: ca.notAfter,
    fingerprint256: ca.fingerprint256,
  };
  return overlapUntil === undefined ? base : { ...base, overlapUntil };
}

function openCa(s: StoredCa, key: Uint8Array): CaMaterial {
  const keyPem = Buffer.from(
    open(key, Buffer.from(s.sealedKey, 'base64'), instanceAad(`ca:${s.fingerprint256}`)),
  ).toString('utf8');
  return {
    certPem: s.certPem,
    keyPem,
    notBefore: s.notBefore,
    notAfter: s.notAfter,
    fingerprint256: s.fingerprint256,
  };
}

/** Stores the CA set, each private key sealed under the instance key. */
export async function saveCaSet(tx: StoreOps, key: Uint8Array, set: CaSet): Promise<void> {
  const stored = {
    current: sealCa(set.current, key),
    previous: set.previous.map((p) => sealCa(p, key, p.overlapUntil)),
  };
  await tx.putMeta(CA, Buffer.from(JSON.stringify(stored), 'utf8'));
}

/** Loads the CA set; `ERR_STORE` if there is none, `ERR_DECRYPT` if a key does not open. */
export async function loadCaSet(tx: StoreOps, key: Uint8Array): Promise<CaSet> {
  const raw = await tx.getMeta(CA);
  if (raw === null) throw new AirlockError('ERR_STORE', 'the store has no CA');
  const stored = JSON.parse(Buffer.from(raw).toString('utf8')) as {
    current: StoredCa;
    previous: StoredCa[];
  };
  return {
    current: openCa(stored.current, key),
    previous: stored.previous.map((p) => ({
      ...openCa(p, key),
      overlapUntil: p.overlapUntil ?? 0,
    })),
  };
}
