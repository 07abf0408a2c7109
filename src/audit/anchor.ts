import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { instanceAad, open, seal, sha256Hex } from '../crypto/index.ts';
import type { AuditAnchorRecord, Store } from '../store/index.ts';
import { canonicalJson } from './canonical.ts';
import type { ChainPoint } from './chain.ts';

/**
 * Signs and checks the chain's anchors (the head after every commit, the
 * base after a prune) with Ed25519 (RFC 8032). Whoever can edit the
 * database cannot sign: the private key is sealed under the instance key.
 */
export interface AnchorSigner {
  /** First 32 hex digits of the SHA-256 of the public key (SPKI DER). */
  readonly keyId: string;
  /** The public key, SPKI PEM, so anyone can check an exported anchor. */
  readonly publicKeyPem: string;
  /** Ed25519 signature of `message`, base64url. */
  sign(message: Uint8Array): string;
  /** True only for a valid signature of `message` by this key. */
  verify(message: Uint8Array, signature: string): boolean;
}

/** An {@link AnchorSigner} over an Ed25519 private key. */
export function ed25519Signer(privateKey: KeyObject): AnchorSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519' || privateKey.type !== 'private') {
    throw new TypeError('the audit signing key must be an Ed25519 private key');
  }
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    keyId: sha256Hex(spki).slice(0, 32),
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    sign: (message) => sign(null, message, privateKey).toString('base64url'),
    verify: (message, signature) => {
      if (typeof signature !== 'string' || !/^[A-Za-z0-9_-]{86}$/.test(signature)) return false;
      try {
        return verify(null, message, publicKey, Buffer.from(signature, 'base64url'));
      } catch {
        return false;
      }
    },
  };
}

/**
 * The bytes an anchor's signature covers: the canonical JSON of its type,
 * instance, kind, position, time and key. Binding the instance and kind
 * means a head cannot pass as a base, nor one install's anchor as another's.
 */
export function anchorMessage(
  instance: string,
  anchor: Omit<AuditAnchorRecord, 'signature'>,
): Uint8Array {
  return Buffer.from(
    canonicalJson({
      type: 'airlock.audit.anchor',
      v: 1,
      instance,
      kind: anchor.kind,
      seq: anchor.seq,
      hash: anchor.hash,
      time: anchor.timeMs,
      keyId: anchor.keyId,
    }),
    'utf8',
  );
}

/** A signed anchor of `kind` at `point`. */
export function signAnchor(
  signer: AnchorSigner,
  instance: string,
  kind: 'head' | 'base',
  point: ChainPoint,
  timeMs: number,
): AuditAnchorRecord {
  const unsigned = { kind, seq: point.seq, hash: point.hash, timeMs, keyId: signer.keyId };
  return { ...unsigned, signature: signer.sign(anchorMessage(instance, unsigned)) };
}

/** True when `anchor` was signed by `signer` for `instance`. */
export function anchorValid(
  signer: AnchorSigner,
  instance: string,
  anchor: AuditAnchorRecord,
): boolean {
  return (
    anchor.keyId === signer.keyId &&
    signer.verify(anchorMessage(instance, anchor), anchor.signature)
  );
}

const META_KEY = 'audit_signing_key';

/**
 * Loads the audit signing key from the store's meta table, creating it on
 * first use: an Ed25519 key whose PKCS#8 form is sealed (AES-256-GCM) under
 * the instance key, like the CA key. A sealed key that does not open is
 * `ERR_DECRYPT`, never a silent new key: that would orphan every anchor.
 */
export async function loadAuditSigner(
  store: Store,
  instanceKey: Uint8Array,
): Promise<AnchorSigner> {
  const aad = instanceAad(META_KEY);
  const pkcs8 = await store.transaction(async (tx) => {
    const sealed = await tx.getMeta(META_KEY);
    if (sealed !== null) return open(instanceKey, sealed, aad);
    const { privateKey } = generateKeyPairSync('ed25519');
    const der = privateKey.export({ format: 'der', type: 'pkcs8' });
    await tx.putMeta(META_KEY, seal(instanceKey, der, aad));
    return der;
  });
  return ed25519Signer(createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }));
}
