import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { constantTimeEqual, instanceAad, open, seal, sha256Hex } from '../crypto/index.ts';
import type { AuditAnchorRecord, Store } from '../store/index.ts';
import { canonicalJson } from './canonical.ts';
import type { ChainPoint } from './chain.ts';

/**
 * Authenticates the chain's anchors. The base checkpoint a prune leaves is
 * signed with Ed25519 (RFC 8032). The head, replaced on every commit, is
 * authenticated with HMAC-SHA256 (RFC 2104) under a key derived from the
 * same private key (HKDF, RFC 5869): only Airlock checks a head, against
 * its running writer or on restart, and a MAC costs a few microseconds
 * where a signature cost about 45 on the commit every injected request
 * waits for. Whoever can edit the database can do neither: the private key
 * is sealed under the instance key.
 */
export interface AnchorSigner {
  /** First 32 hex digits of the SHA-256 of the public key (SPKI DER). */
  readonly keyId: string;
  /** The public key, SPKI PEM, so anyone can check a signed anchor. */
  readonly publicKeyPem: string;
  /** Ed25519 signature of `message`, base64url. */
  sign(message: Uint8Array): string;
  /** True only for a valid signature of `message` by this key. */
  verify(message: Uint8Array, signature: string): boolean;
  /** The head MAC key's id: `hmac-` and 32 hex digits of a hash of it. */
  readonly macKeyId: string;
  /** HMAC-SHA256 of `message` under the head MAC key, base64url. */
  mac(message: Uint8Array): string;
}

/** HKDF `info` for the head MAC key: binds it to this one use. */
const HEAD_MAC_INFO = 'airlock.audit.head-mac.v1';

/** An {@link AnchorSigner} over an Ed25519 private key. */
export function ed25519Signer(privateKey: KeyObject): AnchorSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519' || privateKey.type !== 'private') {
    throw new TypeError('the audit signing key must be an Ed25519 private key');
  }
  const publicKey = createPublicKey(privateKey);
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const macKey = Buffer.from(hkdfSync('sha256', pkcs8, '', HEAD_MAC_INFO, 32));
  pkcs8.fill(0);
  // A KeyObject made once: createHmac with raw bytes makes one per call (13 µs against 2).
  const macKeyObject = createSecretKey(macKey);
  return {
    macKeyId: `hmac-${sha256Hex(Buffer.concat([Buffer.from(`${HEAD_MAC_INFO}:id:`), macKey])).slice(0, 32)}`,
    mac: (message) => createHmac('sha256', macKeyObject).update(message).digest('base64url'),
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

/** The head anchor at `point`, authenticated with the head MAC. */
export function headAnchor(
  signer: AnchorSigner,
  instance: string,
  point: ChainPoint,
  timeMs: number,
): AuditAnchorRecord {
  const unsigned = {
    kind: 'head' as const,
    seq: point.seq,
    hash: point.hash,
    timeMs,
    keyId: signer.macKeyId,
  };
  return { ...unsigned, signature: signer.mac(anchorMessage(instance, unsigned)) };
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

/**
 * True when `anchor` was made by `signer` for `instance`: signed, or, for a
 * head only, MAC'd ({@link headAnchor}; a head signed by an earlier version
 * is still accepted). A base checkpoint must be signed.
 */
export function anchorValid(
  signer: AnchorSigner,
  instance: string,
  anchor: AuditAnchorRecord,
): boolean {
  const message = anchorMessage(instance, anchor);
  if (anchor.keyId === signer.macKeyId) {
    if (anchor.kind !== 'head' || typeof anchor.signature !== 'string') return false;
    return constantTimeEqual(anchor.signature, signer.mac(message));
  }
  return anchor.keyId === signer.keyId && signer.verify(message, anchor.signature);
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
