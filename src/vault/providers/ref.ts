import { isAbsolute, normalize } from 'node:path';
import { AirlockError } from '../../core/index.ts';

/**
 * Where a referenced secret's value lives, as plain data (the text form is
 * what the store keeps and what `airlock secret ref` and `apply` take):
 *
 * - `env:NAME`: a variable of the server's own environment;
 * - `file:/abs/path[#/json/pointer]`: a private regular file, optionally a
 *   JSON document and an RFC 6901 pointer into it;
 * - `exec:PROVIDER#ID`: an id asked of a declared exec provider;
 * - `dotenvx:/abs/path/.env.production#KEY`: a key of a dotenvx-encrypted file.
 */
export type SecretRef =
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'file'; readonly path: string; readonly pointer: string | null }
  | { readonly kind: 'exec'; readonly provider: string; readonly id: string }
  | { readonly kind: 'dotenvx'; readonly path: string; readonly key: string };

/** The source kinds, for listings: `store` is a value kept (encrypted) in Airlock itself. */
export type SourceKind = 'store' | SecretRef['kind'];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Provider names follow the object-name rule of agents and services. */
export const PROVIDER_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
/** Exec ids are opaque to Airlock but printable, short, and free of `#`. */
const EXEC_ID = /^[\x21-\x22\x24-\x7e]{1,256}$/;
const MAX_REF = 1024;

function bad(reason: string): AirlockError {
  return new AirlockError('ERR_INVALID_ARGUMENT', `secret reference: ${reason}`);
}

function splitHash(rest: string): [string, string | null] {
  const at = rest.indexOf('#');
  return at === -1 ? [rest, null] : [rest.slice(0, at), rest.slice(at + 1)];
}

function absolutePath(path: string): string {
  if (!isAbsolute(path)) throw bad('the path must be absolute');
  if (normalize(path) !== path || path.endsWith('/')) {
    throw bad('the path must be normalised (no "..", "//" or trailing "/")');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(path)) throw bad('the path holds a control character');
  return path;
}

/**
 * Parses the text form of a reference. Throws `ERR_INVALID_ARGUMENT` with
 * a message that names the rule broken but never echoes the input.
 */
export function parseSecretRef(text: unknown): SecretRef {
  if (typeof text !== 'string' || text.length === 0) throw bad('must be a non-empty string');
  if (text.length > MAX_REF) throw bad(`at most ${MAX_REF} characters`);
  const colon = text.indexOf(':');
  const scheme = colon === -1 ? '' : text.slice(0, colon);
  const rest = text.slice(colon + 1);
  switch (scheme) {
    case 'env':
      if (!ENV_NAME.test(rest)) throw bad('env:NAME needs an environment variable name');
      return { kind: 'env', name: rest };
    case 'file': {
      const [path, pointer] = splitHash(rest);
      if (pointer !== null && pointer !== '' && !pointer.startsWith('/')) {
        throw bad('a JSON pointer starts with "/" (RFC 6901)');
      }
      return { kind: 'file', path: absolutePath(path), pointer: pointer === '' ? null : pointer };
    }
    case 'exec': {
      const [provider, id] = splitHash(rest);
      if (!PROVIDER_NAME.test(provider)) throw bad('exec:PROVIDER#ID needs a provider name');
      if (id === null || !EXEC_ID.test(id)) {
        throw bad('exec:PROVIDER#ID needs an id of 1-256 printable characters');
      }
      return { kind: 'exec', provider, id };
    }
    case 'dotenvx': {
      const [path, key] = splitHash(rest);
      if (key === null || !ENV_NAME.test(key)) throw bad('dotenvx:/path#KEY needs a key name');
      return { kind: 'dotenvx', path: absolutePath(path), key };
    }
    default:
      throw bad('must start with env:, file:, exec: or dotenvx:');
  }
}

/** The canonical text form; `parseSecretRef(formatSecretRef(r))` equals `r`. */
export function formatSecretRef(ref: SecretRef): string {
  switch (ref.kind) {
    case 'env':
      return `env:${ref.name}`;
    case 'file':
      return ref.pointer === null ? `file:${ref.path}` : `file:${ref.path}#${ref.pointer}`;
    case 'exec':
      return `exec:${ref.provider}#${ref.id}`;
    case 'dotenvx':
      return `dotenvx:${ref.path}#${ref.key}`;
  }
}
