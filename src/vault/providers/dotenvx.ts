import { basename, dirname, join } from 'node:path';
import { AirlockError } from '../../core/index.ts';
import { type DotenvEntry, parseDotenv } from './dotenv.ts';
import { eciesDecrypt, publicKeyHex } from './ecies.ts';
import type { ProviderResult } from './exec.ts';
import { readSourceFile } from './file.ts';

const ENCRYPTED = 'encrypted:';
const PUBLIC_PREFIX = 'DOTENV_PUBLIC_KEY';
const PRIVATE_PREFIX = 'DOTENV_PRIVATE_KEY';
const HEX_KEY = /^[0-9a-fA-F]{64}$/;

/**
 * The private-key variable for a dotenvx file: the file's own
 * `DOTENV_PUBLIC_KEY*` name with PUBLIC made PRIVATE, else the name dotenvx
 * derives from the file name (`.env` → `DOTENV_PRIVATE_KEY`,
 * `.env.ci.local` → `DOTENV_PRIVATE_KEY_CI_LOCAL`).
 */
function privateKeyName(path: string, entries: ReadonlyMap<string, DotenvEntry>): string {
  for (const key of entries.keys()) {
    if (key === PUBLIC_PREFIX || key.startsWith(`${PUBLIC_PREFIX}_`)) {
      return PRIVATE_PREFIX + key.slice(PUBLIC_PREFIX.length);
    }
  }
  const name = basename(path);
  if (!name.startsWith('.env.')) return PRIVATE_PREFIX;
  return `${PRIVATE_PREFIX}_${name
    .slice(5)
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')}`;
}

/**
 * The candidate private keys: the named variable of the server's
 * environment (dotenvx allows a comma-separated list), else the same name in
 * the `.env.keys` beside the file, which must be private to the server's
 * user (`ERR_INSECURE_FILE` otherwise). None is `ERR_DOTENVX_KEY_MISSING`.
 */
async function privateKeys(
  path: string,
  name: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Buffer[]> {
  let text = env[name];
  if (text === undefined || text === '') {
    const keysFile = join(dirname(path), '.env.keys');
    let bytes: Buffer;
    try {
      bytes = await readSourceFile(keysFile, { private: true });
    } catch (err) {
      if (err instanceof AirlockError && err.code === 'ERR_PROVIDER_NOT_FOUND') {
        throw new AirlockError(
          'ERR_DOTENVX_KEY_MISSING',
          `no ${name} in the server's environment and no .env.keys beside ${path}`,
        );
      }
      throw err;
    }
    text = parseDotenv(bytes.toString('utf8'), keysFile).get(name)?.value;
    bytes.fill(0);
  }
  const keys = (text ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter((k) => HEX_KEY.test(k));
  if (keys.length === 0) {
    throw new AirlockError('ERR_DOTENVX_KEY_MISSING', `no usable ${name} for ${path}`);
  }
  return keys.map((k) => Buffer.from(k, 'hex'));
}

function decryptValue(keys: readonly Buffer[], value: string): string {
  const b64 = value.slice(ENCRYPTED.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
    throw new AirlockError('ERR_DOTENVX_DECRYPT', 'the encrypted value is not base64');
  }
  const payload = Buffer.from(b64, 'base64');
  let last: unknown;
  for (const key of keys) {
    try {
      const plain = eciesDecrypt(key, payload);
      const text = plain.toString('utf8');
      plain.fill(0);
      return text;
    } catch (err) {
      last = err;
    }
  }
  throw last instanceof AirlockError
    ? last
    : new AirlockError('ERR_DOTENVX_DECRYPT', 'the value does not decrypt');
}

/**
 * Resolves `keys` of one dotenvx file: each `encrypted:` value is
 * decrypted (ECIES over secp256k1, see `eciesDecrypt`) with the file's
 * private key; a plain value is returned as written. A missing key is
 * `ERR_PROVIDER_NOT_FOUND`; a value that does not decrypt (tampered, or the
 * wrong private key) `ERR_DOTENVX_DECRYPT`. A failure of the whole file (not
 * readable, malformed, no private key) is thrown.
 */
export async function resolveDotenvxFile(
  path: string,
  keys: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Promise<Map<string, ProviderResult>> {
  const entries = await readDotenvx(path);
  const out = new Map<string, ProviderResult>();
  const wanted = keys.filter((k) => entries.has(k));
  const needKey = wanted.some((k) => entries.get(k)?.value.startsWith(ENCRYPTED) === true);
  const keyName = privateKeyName(path, entries);
  const privs = needKey ? await privateKeys(path, keyName, env) : [];
  try {
    const publicKey = [...entries].find(([k]) => k.startsWith(PUBLIC_PREFIX))?.[1].value;
    if (publicKey !== undefined && privs.length > 0) {
      if (!privs.some((p) => safePublicKey(p) === publicKey.toLowerCase())) {
        throw new AirlockError(
          'ERR_DOTENVX_DECRYPT',
          `${keyName} does not match the public key in ${path}`,
        );
      }
    }
    for (const key of keys) {
      const entry = entries.get(key);
      if (entry === undefined) {
        out.set(key, {
          ok: false,
          code: 'ERR_PROVIDER_NOT_FOUND',
          message: `${path} has no ${key}`,
        });
        continue;
      }
      try {
        const value = entry.value.startsWith(ENCRYPTED)
          ? decryptValue(privs, entry.value)
          : entry.value;
        out.set(
          key,
          value === ''
            ? { ok: false, code: 'ERR_PROVIDER_NOT_FOUND', message: `${path}: ${key} is empty` }
            : { ok: true, value },
        );
      } catch (err) {
        const e =
          err instanceof AirlockError
            ? err
            : new AirlockError('ERR_DOTENVX_DECRYPT', 'decrypt failed');
        out.set(key, {
          ok: false,
          code: e.code,
          message: `${path}:${entry.line}: ${key}: ${e.message}`,
        });
      }
    }
  } finally {
    for (const p of privs) p.fill(0);
  }
  return out;
}

function safePublicKey(priv: Buffer): string | null {
  try {
    return publicKeyHex(priv);
  } catch {
    return null;
  }
}

/** Reads and parses a dotenvx file (it is meant to be committed, so it need not be private). */
export async function readDotenvx(path: string): Promise<Map<string, DotenvEntry>> {
  const bytes = await readSourceFile(path, { private: false });
  return parseDotenv(bytes.toString('utf8'), path);
}

/**
 * Every application key of a dotenvx file with its value decrypted, for
 * `airlock import dotenvx`: `DOTENV_PUBLIC_KEY*` entries are skipped. Any
 * value that fails makes the whole call fail (nothing is half-imported).
 */
export async function decryptDotenvxFile(
  path: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Map<string, string>> {
  const entries = await readDotenvx(path);
  const keys = [...entries.keys()].filter((k) => !k.startsWith(PUBLIC_PREFIX));
  const results = await resolveDotenvxFile(path, keys, env);
  const out = new Map<string, string>();
  for (const [key, r] of results) {
    if (!r.ok) throw new AirlockError(r.code, r.message);
    out.set(key, r.value);
  }
  return out;
}
