import { randomFillSync, scrypt, timingSafeEqual } from 'node:crypto';
import { AirlockError } from '../core/index.ts';
import { deriveKey, KEY_BYTES, open, seal } from './envelope.ts';
import { runKeyCommand } from './keycommand.ts';
import { readKeyFile, writeKeyFile } from './keyfile.ts';
import { decodeKeyText, encodeKeyText } from './keytext.ts';
import {
  orThrow,
  parseRootKeySource,
  type RootKeySource,
  validateCommand,
  validateFile,
  validatePassphrase,
} from './source.ts';

/** What {@link createRootKey} needs for each kind of source. Omitted scrypt parameters take {@link SCRYPT_DEFAULTS}. */
export type CreateRootKeyOptions =
  | { readonly kind: 'file'; readonly path: string }
  | {
      readonly kind: 'passphrase';
      readonly passphrase: string;
      readonly N?: number;
      readonly r?: number;
      readonly p?: number;
    }
  | { readonly kind: 'command'; readonly command: string; readonly args?: readonly string[] };

/** A root key with its source and verifier, both of which go into `config.json`. */
export interface CreatedRootKey {
  /** The 32-byte root key. Never written anywhere but a `file` source. */
  readonly key: Uint8Array;
  readonly source: RootKeySource;
  /** Base64; proves a key loaded later is this one, before anything is decrypted. */
  readonly verifier: string;
}

/** Input for {@link loadRootKey}; the CLI reads the passphrase from stdin or a prompt. */
export interface LoadRootKeyOptions {
  readonly passphrase?: string;
}

/**
 * scrypt (RFC 7914) cost for new passphrase keys: N=2^17, r=8, p=1, about
 * 128 MiB of memory and a fraction of a second, paid once per server start.
 */
export const SCRYPT_DEFAULTS: { readonly N: number; readonly r: number; readonly p: number } = {
  N: 2 ** 17,
  r: 8,
  p: 1,
};

const SALT_BYTES = 16;
const VERIFIER_LABEL = 'verify';
const VERIFIER_AAD = 'airlock:verifier:v1';
const VERIFIER_PLAINTEXT = Buffer.from('airlock root key verifier v1', 'utf8');

/** The one error for a key that is malformed or does not match its verifier. */
function rejected(): AirlockError {
  return new AirlockError('ERR_ROOT_KEY', 'root key rejected');
}

/**
 * Makes a new root key and the record of where it lives.
 *
 * - `file`: 32 random bytes, written base64 to a new file with mode 0600
 *   (`O_CREAT|O_EXCL|O_NOFOLLOW`, fsynced). An existing path is refused.
 * - `passphrase`: a random 16-byte salt and scrypt (RFC 7914). The passphrase
 *   is NFC-normalised so the same words typed on another system match.
 * - `command`: runs the command once and takes the key it prints.
 *
 * @throws AirlockError `ERR_INVALID_ARGUMENT` (bad options, empty passphrase),
 *   `ERR_CONFLICT` (key file exists) or `ERR_ROOT_KEY` (I/O or command failure).
 */
export async function createRootKey(opts: CreateRootKeyOptions): Promise<CreatedRootKey> {
  let key: Uint8Array;
  let source: RootKeySource;
  switch (opts.kind) {
    case 'file': {
      const parsed = orThrow(validateFile({ path: opts.path }), 'ERR_INVALID_ARGUMENT');
      source = parsed;
      key = randomFillSync(new Uint8Array(KEY_BYTES));
      await writeKeyFile(parsed.path, encodeKeyText(key));
      break;
    }
    case 'passphrase': {
      if (typeof opts.passphrase !== 'string' || opts.passphrase.length === 0) {
        throw new AirlockError('ERR_INVALID_ARGUMENT', 'the passphrase must not be empty');
      }
      const salt = randomFillSync(Buffer.alloc(SALT_BYTES)).toString('base64');
      const { N = SCRYPT_DEFAULTS.N, r = SCRYPT_DEFAULTS.r, p = SCRYPT_DEFAULTS.p } = opts;
      const parsed = orThrow(validatePassphrase({ salt, N, r, p }), 'ERR_INVALID_ARGUMENT');
      source = parsed;
      key = await stretch(opts.passphrase, parsed);
      break;
    }
    case 'command': {
      const parsed = orThrow(
        validateCommand({ command: opts.command, args: opts.args ?? [] }),
        'ERR_INVALID_ARGUMENT',
      );
      source = parsed;
      const decoded = await commandKey(parsed);
      if (decoded === null) {
        throw new AirlockError(
          'ERR_ROOT_KEY',
          'root key command did not print a 32-byte key (base64, or 64 hex chars)',
        );
      }
      key = decoded;
      break;
    }
    default:
      throw new TypeError('unknown root key source kind');
  }
  return { key, source, verifier: makeVerifier(key) };
}

/**
 * Loads the root key from `source` and proves it against `verifier` before
 * returning it, so a wrong key is caught before anything is touched.
 *
 * Fails closed. A key file that is a symlink, not a regular file, readable
 * by group or other, or owned by another user throws `ERR_INSECURE_KEY_FILE`
 * (checked with `lstat`, then again with `fstat` on the `O_NOFOLLOW`
 * descriptor). Malformed key text, a wrong passphrase, a wrong key file or a
 * command printing another key all throw the same
 * `AirlockError('ERR_ROOT_KEY', 'root key rejected')`. A key file that cannot
 * be read or a command that fails throws `ERR_ROOT_KEY` saying so.
 *
 * @throws AirlockError `ERR_CONFIG` if `source` is malformed, `ERR_INVALID_ARGUMENT`
 *   if a passphrase source is given no passphrase.
 */
export async function loadRootKey(
  source: RootKeySource,
  verifier: string,
  opts: LoadRootKeyOptions = {},
): Promise<Uint8Array> {
  const src = parseRootKeySource(source);
  let key: Uint8Array | null;
  switch (src.kind) {
    case 'file': {
      const raw = await readKeyFile(src.path);
      key = decodeKeyText(raw);
      raw.fill(0);
      break;
    }
    case 'passphrase': {
      if (typeof opts.passphrase !== 'string') {
        throw new AirlockError('ERR_INVALID_ARGUMENT', 'this root key needs its passphrase');
      }
      key = opts.passphrase.length === 0 ? null : await stretch(opts.passphrase, src);
      break;
    }
    case 'command':
      key = await commandKey(src);
      break;
  }
  if (key === null) throw rejected();
  if (!checkVerifier(key, verifier)) {
    key.fill(0);
    throw rejected();
  }
  return key;
}

/** scrypt (RFC 7914) of the NFC-normalised passphrase, with memory allowed for the given cost. */
function stretch(
  passphrase: string,
  params: { readonly salt: string; readonly N: number; readonly r: number; readonly p: number },
): Promise<Uint8Array> {
  const { N, r, p } = params;
  // Node refuses when 128 * N * r exceeds maxmem (default 32 MiB); allow twice that.
  const maxmem = 2 * 128 * N * r + 128 * r * p;
  const password = Buffer.from(passphrase.normalize('NFC'), 'utf8');
  return new Promise((resolve, reject) => {
    scrypt(
      password,
      Buffer.from(params.salt, 'base64'),
      KEY_BYTES,
      { N, r, p, maxmem },
      (err, derived) => {
        password.fill(0);
        if (err) {
          reject(new AirlockError('ERR_ROOT_KEY', 'scrypt failed', { cause: err }));
          return;
        }
        const key = new Uint8Array(KEY_BYTES);
        key.set(derived);
        derived.fill(0);
        resolve(key);
      },
    );
  });
}

async function commandKey(src: {
  readonly command: string;
  readonly args: readonly string[];
}): Promise<Uint8Array | null> {
  const out = await runKeyCommand(src.command, src.args);
  const key = decodeKeyText(out);
  out.fill(0);
  return key;
}

/** Base64 of `seal(deriveKey(key, 'verify'), fixed text, 'airlock:verifier:v1')`. */
function makeVerifier(key: Uint8Array): string {
  const vk = deriveKey(key, VERIFIER_LABEL);
  const sealed = seal(vk, VERIFIER_PLAINTEXT, VERIFIER_AAD);
  vk.fill(0);
  return Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength).toString('base64');
}

function checkVerifier(key: Uint8Array, verifier: unknown): boolean {
  if (typeof verifier !== 'string') return false;
  const vk = deriveKey(key, VERIFIER_LABEL);
  try {
    const plain = open(vk, Buffer.from(verifier, 'base64'), VERIFIER_AAD);
    return (
      plain.byteLength === VERIFIER_PLAINTEXT.byteLength &&
      timingSafeEqual(plain, VERIFIER_PLAINTEXT)
    );
  } catch {
    return false;
  } finally {
    vk.fill(0);
  }
}
