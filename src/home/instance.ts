import { randomBytes } from 'node:crypto';
import type { CaSet, RetiredCa } from '../ca/index.ts';
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

/** The current CA as stored: the certificate in the clear, the key sealed under the instance key. */
interface StoredCa {
  readonly certPem: string;
  readonly sealedKey: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly fingerprint256: string;
}

function caAad(fingerprint: string): string {
  return instanceAad(`ca:${fingerprint}`);
}

/** Stores the CA set; the current CA's private key is sealed under the instance key. */
export async function saveCaSet(tx: StoreOps, key: Uint8Array, set: CaSet): Promise<void> {
  const { current } = set;
  const sealedKey = Buffer.from(
    seal(key, Buffer.from(current.keyPem), caAad(current.fingerprint256)),
  ).toString('base64');
  const stored: { current: StoredCa; previous: readonly RetiredCa[] } = {
    current: {
      certPem: current.certPem,
      sealedKey,
      notBefore: current.notBefore,
      notAfter: current.notAfter,
      fingerprint256: current.fingerprint256,
    },
    previous: set.previous,
  };
  await tx.putMeta(CA, Buffer.from(JSON.stringify(stored), 'utf8'));
}

/** Loads the CA set; `ERR_STORE` if there is none, `ERR_DECRYPT` if its key does not open. */
export async function loadCaSet(tx: StoreOps, key: Uint8Array): Promise<CaSet> {
  const raw = await tx.getMeta(CA);
  if (raw === null) throw new AirlockError('ERR_STORE', 'the store has no CA');
  const stored = JSON.parse(Buffer.from(raw).toString('utf8')) as {
    current: StoredCa;
    previous: RetiredCa[];
  };
  const c = stored.current;
  const keyPem = Buffer.from(
    open(key, Buffer.from(c.sealedKey, 'base64'), caAad(c.fingerprint256)),
  ).toString('utf8');
  return {
    current: {
      certPem: c.certPem,
      keyPem,
      notBefore: c.notBefore,
      notAfter: c.notAfter,
      fingerprint256: c.fingerprint256,
    },
    previous: stored.previous,
  };
}
