import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { AirlockError, base32 } from '../core/index.ts';
import { instanceAad, open, seal } from '../crypto/index.ts';
import type { StoreOps } from '../store/index.ts';
import { b64u } from './jws.ts';

/** One Ed25519 token-signing key. Retired keys keep only their public half. */
export interface SigningKey {
  /** RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key. */
  readonly kid: string;
  readonly publicKey: KeyObject;
  /** Null once retired: a retired key only verifies. */
  readonly privateKey: KeyObject | null;
  readonly createdAt: number;
  readonly retiredAt: number | null;
  /** After this time (ms) tokens signed by the key no longer verify; null while current. */
  readonly verifyUntil: number | null;
}

/** The signing keys of an installation: the current one signs, retired ones verify until their grace ends. */
export interface SigningKeySet {
  /** The `iss` of every token (RFC 7519 §4.1.1), fixed at `airlock init`. */
  readonly issuer: string;
  readonly current: SigningKey;
  readonly previous: readonly SigningKey[];
}

/** A public key as a JWK (RFC 7517 §4, RFC 8037 §2: `kty: OKP`, `crv: Ed25519`). */
export interface PublicJwk {
  readonly kty: 'OKP';
  readonly crv: 'Ed25519';
  readonly x: string;
  readonly kid: string;
  readonly alg: 'EdDSA';
  readonly use: 'sig';
}

const META_KEY = 'signing_keys';

function xOf(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new TypeError('not an Ed25519 public key');
  }
  return jwk.x;
}

/** RFC 7638 §3: SHA-256 over the required members in lexicographic order, base64url. */
function thumbprint(x: string): string {
  return b64u(createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest());
}

function newKey(now: number): SigningKey {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    kid: thumbprint(xOf(publicKey)),
    publicKey,
    privateKey,
    createdAt: now,
    retiredAt: null,
    verifyUntil: null,
  };
}

/** A fresh key set for a new installation, with its own issuer name. */
export function newSigningKeySet(now: number): SigningKeySet {
  return {
    issuer: `urn:airlock:${base32(randomBytes(16))}`,
    current: newKey(now),
    previous: [],
  };
}

/**
 * Adds a new current key (`airlock key rotate-signing`). The old current key
 * is retired: its private half is dropped and it keeps verifying for
 * `graceMs` (the longest a token may live), so every token it signed still
 * works until it expires. Keys whose grace has ended are dropped.
 */
export function rotateSigningKeys(set: SigningKeySet, now: number, graceMs: number): SigningKeySet {
  if (!Number.isSafeInteger(graceMs) || graceMs < 0) throw new TypeError('graceMs must be >= 0');
  const retired: SigningKey = {
    ...set.current,
    privateKey: null,
    retiredAt: now,
    verifyUntil: now + graceMs,
  };
  const kept = set.previous.filter((k) => k.verifyUntil !== null && k.verifyUntil > now);
  return { issuer: set.issuer, current: newKey(now), previous: [retired, ...kept] };
}

/** The key that verifies tokens with this `kid` at `now`, or null (unknown, or past its grace). */
export function verificationKey(set: SigningKeySet, kid: string, now: number): KeyObject | null {
  if (set.current.kid === kid) return set.current.publicKey;
  const old = set.previous.find((k) => k.kid === kid);
  if (old === undefined || old.verifyUntil === null || now >= old.verifyUntil) return null;
  return old.publicKey;
}

/** The JWK Set (RFC 7517 §5) of every key that verifies at `now`: what `/.well-known/jwks.json` serves. */
export function jwks(set: SigningKeySet, now: number): { keys: PublicJwk[] } {
  const live = [set.current, ...set.previous.filter((k) => (k.verifyUntil ?? 0) > now)];
  return {
    keys: live.map((k) => ({
      kty: 'OKP',
      crv: 'Ed25519',
      x: xOf(k.publicKey),
      kid: k.kid,
      alg: 'EdDSA',
      use: 'sig',
    })),
  };
}

interface StoredKey {
  kid: string;
  x: string;
  /** PKCS#8 DER of the private key, sealed under the instance key (base64); null once retired. */
  sealed: string | null;
  createdAt: number;
  retiredAt: number | null;
  verifyUntil: number | null;
}

const aad = (kid: string) => instanceAad(`${META_KEY}:${kid}`);

/** Stores the key set in the meta table; private keys are sealed under the instance key. */
export async function saveSigningKeys(
  tx: StoreOps,
  instanceKey: Uint8Array,
  set: SigningKeySet,
): Promise<void> {
  const keys: StoredKey[] = [set.current, ...set.previous].map((k) => ({
    kid: k.kid,
    x: xOf(k.publicKey),
    sealed:
      k.privateKey === null
        ? null
        : Buffer.from(
            seal(instanceKey, k.privateKey.export({ format: 'der', type: 'pkcs8' }), aad(k.kid)),
          ).toString('base64'),
    createdAt: k.createdAt,
    retiredAt: k.retiredAt,
    verifyUntil: k.verifyUntil,
  }));
  const stored = { version: 1, issuer: set.issuer, keys };
  await tx.putMeta(META_KEY, Buffer.from(JSON.stringify(stored), 'utf8'));
}

function malformed(cause?: unknown): AirlockError {
  return new AirlockError('ERR_STORE', 'the stored signing keys are malformed', { cause });
}

function num(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw malformed();
  return v;
}

function numOrNull(v: unknown): number | null {
  return v === null ? null : num(v);
}

function toKey(raw: unknown, instanceKey: Uint8Array): SigningKey {
  if (typeof raw !== 'object' || raw === null) throw malformed();
  const r = raw as Record<string, unknown>;
  if (typeof r.kid !== 'string' || typeof r.x !== 'string') throw malformed();
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: r.x }, format: 'jwk' });
  if (thumbprint(r.x) !== r.kid) throw malformed();
  let privateKey: KeyObject | null = null;
  if (typeof r.sealed === 'string') {
    const der = open(instanceKey, Buffer.from(r.sealed, 'base64'), aad(r.kid));
    privateKey = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } else if (r.sealed !== null) {
    throw malformed();
  }
  return {
    kid: r.kid,
    publicKey,
    privateKey,
    createdAt: num(r.createdAt),
    retiredAt: numOrNull(r.retiredAt),
    verifyUntil: numOrNull(r.verifyUntil),
  };
}

/**
 * Loads the key set, or null when the store has none yet (a home made
 * before task tokens existed). A sealed key that does not open under the
 * instance key is `ERR_DECRYPT`; anything else wrong is `ERR_STORE`.
 */
export async function loadSigningKeys(
  tx: StoreOps,
  instanceKey: Uint8Array,
): Promise<SigningKeySet | null> {
  const raw = await tx.getMeta(META_KEY);
  if (raw === null) return null;
  let stored: unknown;
  try {
    stored = JSON.parse(Buffer.from(raw).toString('utf8'));
  } catch (cause) {
    throw malformed(cause);
  }
  if (typeof stored !== 'object' || stored === null) throw malformed();
  const { issuer, keys } = stored as Record<string, unknown>;
  if (typeof issuer !== 'string' || !Array.isArray(keys)) throw malformed();
  const all = keys.map((k: unknown) => toKey(k, instanceKey));
  const current = all.filter((k) => k.retiredAt === null && k.privateKey !== null);
  const [only] = current;
  if (only === undefined || current.length !== 1) throw malformed();
  return { issuer, current: only, previous: all.filter((k) => k !== only) };
}

/** Loads the key set, creating and storing a first one if there is none. */
export async function ensureSigningKeys(
  tx: StoreOps,
  instanceKey: Uint8Array,
  now: number,
): Promise<SigningKeySet> {
  const existing = await loadSigningKeys(tx, instanceKey);
  if (existing !== null) return existing;
  const set = newSigningKeySet(now);
  await saveSigningKeys(tx, instanceKey, set);
  return set;
}
