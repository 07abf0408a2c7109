import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  ECDH,
  hkdfSync,
  randomBytes,
} from 'node:crypto';
import { AirlockError } from '../../core/index.ts';
import { sharedPoint } from './secp256k1.ts';

const CURVE = 'secp256k1';
const POINT = 65;
const NONCE = 16;
const TAG = 16;

/**
 * The ECIES key: HKDF-SHA256 (RFC 5869, no salt, no info) over the
 * uncompressed ephemeral public key followed by the uncompressed shared
 * point, 32 bytes for AES-256-GCM.
 */
function deriveKey(ephemeral: Uint8Array, shared: Uint8Array): Buffer {
  return Buffer.from(
    hkdfSync('sha256', Buffer.concat([ephemeral, shared]), Buffer.alloc(0), Buffer.alloc(0), 32),
  );
}

function decryptFailed(cause?: unknown): AirlockError {
  return new AirlockError(
    'ERR_DOTENVX_DECRYPT',
    'the value does not decrypt with this private key (wrong key, or the value was altered)',
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Decrypts an ECIES payload in the format dotenvx writes after `encrypted:`
 * (base64-decoded): the ephemeral public key (65 bytes, uncompressed), a
 * 16-byte nonce, the 16-byte GCM tag, then the AES-256-GCM ciphertext.
 * Every failure (bad key, bad point, wrong tag, short payload) is the same
 * `ERR_DOTENVX_DECRYPT`.
 */
export function eciesDecrypt(privateKey: Uint8Array, payload: Uint8Array): Buffer {
  if (payload.length < POINT + NONCE + TAG || payload[0] !== 4) throw decryptFailed();
  const ephemeral = payload.subarray(0, POINT);
  const nonce = payload.subarray(POINT, POINT + NONCE);
  const tag = payload.subarray(POINT + NONCE, POINT + NONCE + TAG);
  const body = payload.subarray(POINT + NONCE + TAG);
  let key: Buffer | undefined;
  try {
    const ecdh = createECDH(CURVE);
    ecdh.setPrivateKey(privateKey);
    key = deriveKey(ephemeral, sharedPoint(ecdh, ephemeral));
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch (cause) {
    throw decryptFailed(cause);
  } finally {
    key?.fill(0);
  }
}

/**
 * Encrypts for a secp256k1 public key (compressed or uncompressed) in the
 * same format, with a fresh ephemeral key and nonce: what `dotenvx encrypt`
 * writes after `encrypted:` (base64).
 */
export function eciesEncrypt(publicKey: Uint8Array, plaintext: Uint8Array): Buffer {
  const recipient = uncompressed(publicKey);
  const ecdh = createECDH(CURVE);
  ecdh.generateKeys();
  const ephemeral = ecdh.getPublicKey(null, 'uncompressed');
  const key = deriveKey(ephemeral, sharedPoint(ecdh, recipient));
  try {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([ephemeral, nonce, cipher.getAuthTag(), body]);
  } finally {
    key.fill(0);
  }
}

/** A public key in uncompressed form; `TypeError` if it is not a secp256k1 point. */
function uncompressed(publicKey: Uint8Array): Buffer {
  const converted = ECDH.convertKey(
    Buffer.from(publicKey),
    CURVE,
    undefined,
    undefined,
    'uncompressed',
  );
  if (typeof converted === 'string') throw new TypeError('expected bytes');
  return converted;
}

/** The compressed public key (33 bytes, hex) of a private key, as `DOTENV_PUBLIC_KEY*` holds it. */
export function publicKeyHex(privateKey: Uint8Array): string {
  const ecdh = createECDH(CURVE);
  ecdh.setPrivateKey(privateKey);
  return ecdh.getPublicKey('hex', 'compressed');
}
