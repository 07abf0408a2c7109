import { isAbsolute } from 'node:path';
import { AirlockError, type ErrorCode } from '../core/index.ts';

/**
 * Where the root key comes from, as recorded in the home's `config.json`
 * beside its verifier. A plain serialisable value; read it back with
 * {@link parseRootKeySource}.
 *
 * - `file`: 32 random bytes, base64, in a private file (mode 0600, owned by
 *   the user, not a symlink).
 * - `passphrase`: the key is scrypt(passphrase, salt, N, r, p); salt is base64.
 * - `command`: a program (KMS client, keychain tool) run without a shell that
 *   prints the key on stdout as base64 or 64 hex chars.
 */
export type RootKeySource =
  | { readonly kind: 'file'; readonly path: string }
  | {
      readonly kind: 'passphrase';
      readonly salt: string;
      readonly N: number;
      readonly r: number;
      readonly p: number;
    }
  | { readonly kind: 'command'; readonly command: string; readonly args: readonly string[] };

/** The `file` member of {@link RootKeySource}. */
export type FileSource = Extract<RootKeySource, { kind: 'file' }>;
/** The `passphrase` member of {@link RootKeySource}. */
export type PassphraseSource = Extract<RootKeySource, { kind: 'passphrase' }>;
/** The `command` member of {@link RootKeySource}. */
export type CommandSource = Extract<RootKeySource, { kind: 'command' }>;

/** Most memory (128 * N * r bytes) a passphrase source may make scrypt use. */
const MAX_SCRYPT_MEMORY = 1024 ** 3;

/**
 * Reads a root key source out of parsed `config.json`. Untrusted input enters
 * as `unknown`; the result is a fresh, validated value with no extra fields.
 * Bounds on the scrypt parameters keep a tampered config from demanding
 * gigabytes of memory.
 *
 * @throws AirlockError `ERR_CONFIG` naming what is wrong.
 */
export function parseRootKeySource(value: unknown): RootKeySource {
  return orThrow(validate(value), 'ERR_CONFIG');
}

/** Returns `result`, or throws `code` with the problem `validate*` described. */
export function orThrow<T>(result: T | string, code: ErrorCode): T {
  if (typeof result === 'string') throw new AirlockError(code, `root key source: ${result}`);
  return result;
}

function field(obj: object, name: string): unknown {
  return Object.hasOwn(obj, name) ? (obj as Record<string, unknown>)[name] : undefined;
}

function isCleanString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && !value.includes('\0');
}

/** Returns the validated source, or a message saying what is wrong with it. */
function validate(value: unknown): RootKeySource | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return 'must be an object';
  }
  switch (field(value, 'kind')) {
    case 'file':
      return validateFile(value);
    case 'passphrase':
      return validatePassphrase(value);
    case 'command':
      return validateCommand(value);
    default:
      return "kind must be 'file', 'passphrase' or 'command'";
  }
}

/** Checks a `file` source: an absolute path. Returns it, or what is wrong. */
export function validateFile(value: object): FileSource | string {
  const path = field(value, 'path');
  if (!isCleanString(path) || !isAbsolute(path)) return 'path must be an absolute path';
  return { kind: 'file', path };
}

/**
 * Checks a `passphrase` source: canonical base64 salt of 16..64 bytes, N a
 * power of two up to 2^20, r in 1..32, p in 1..16, at most 1 GiB of memory.
 * Returns it, or what is wrong.
 */
export function validatePassphrase(value: object): PassphraseSource | string {
  const salt = field(value, 'salt');
  const N = field(value, 'N');
  const r = field(value, 'r');
  const p = field(value, 'p');
  if (typeof salt !== 'string' || !isCanonicalSalt(salt)) {
    return 'salt must be base64 of 16 to 64 bytes';
  }
  if (!isInt(N, 2, 2 ** 20) || (N & (N - 1)) !== 0) {
    return 'N must be a power of two from 2 to 2^20';
  }
  if (!isInt(r, 1, 32)) return 'r must be an integer from 1 to 32';
  if (!isInt(p, 1, 16)) return 'p must be an integer from 1 to 16';
  if (128 * N * r > MAX_SCRYPT_MEMORY) return 'N * r needs more than 1 GiB of memory';
  return { kind: 'passphrase', salt, N, r, p };
}

/** Checks a `command` source: a non-empty command and string args, no NULs. Returns it, or what is wrong. */
export function validateCommand(value: object): CommandSource | string {
  const command = field(value, 'command');
  const args = field(value, 'args');
  if (!isCleanString(command)) return 'command must be a non-empty string';
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string' && !a.includes('\0'))) {
    return 'args must be an array of strings';
  }
  return { kind: 'command', command, args: [...args] };
}

function isInt(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

function isCanonicalSalt(salt: string): boolean {
  const bytes = Buffer.from(salt, 'base64');
  return bytes.byteLength >= 16 && bytes.byteLength <= 64 && bytes.toString('base64') === salt;
}
