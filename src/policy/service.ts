import { AirlockError } from '../core/index.ts';
import { parseHostPattern } from './host.ts';
import { parseMethods } from './method.ts';
import { parsePathPattern } from './path-pattern.ts';
import type { AuthScheme, HostPattern, ServiceSpec } from './types.ts';

const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;
const QUERY_PARAM = /^[A-Za-z0-9._~-]{1,128}$/;
const PREFIX = /^[\x20-\x7e]{0,256}$/;

/** A Basic user-id (RFC 7617 §2): 1-256 characters, no `:` and no controls. */
function isUsername(text: string): boolean {
  if (text.length < 1 || text.length > 256) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || c === 0x3a) return false;
  }
  return true;
}
const MAX_LIST = 64;

/**
 * Headers the proxy owns: hop-by-hop headers (RFC 9110 §7.6.1), framing and
 * routing headers, and every `proxy-*` header. A service may not inject into
 * these: it would let a credential rewrite the request's framing or target.
 */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  'http2-settings',
]);

function fail(field: string, reason: string, cause?: unknown): AirlockError {
  return new AirlockError(
    'ERR_INVALID_ARGUMENT',
    `${field}: ${reason}`,
    cause === undefined ? undefined : { cause },
  );
}

/** A plain object (not an array, not null) from JSON. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads an own property only, so `__proto__` and inherited names never leak in. */
function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Refuses keys outside `allowed`, naming a short key and only a short one. */
function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const shown = /^[A-Za-z0-9_]{1,32}$/.test(key) ? ` "${key}"` : '';
    throw fail(where, `unknown field${shown}`);
  }
}

/** Runs a parser, prefixing its message with `field`. */
function at<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AirlockError) throw fail(field, err.message, err);
    throw err;
  }
}

function list(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw fail(field, 'must be an array');
  if (value.length === 0) throw fail(field, 'must not be empty');
  if (value.length > MAX_LIST) throw fail(field, `at most ${MAX_LIST} entries`);
  return value;
}

function parseHostEntry(entry: unknown, defaultPort: number): HostPattern {
  if (typeof entry === 'string') return parseHostPattern(entry, defaultPort);
  // The stored form: `{ pattern, port }`, re-validated through the text form.
  if (isRecord(entry)) {
    onlyKeys(entry, ['pattern', 'port'], 'host');
    const pattern = own(entry, 'pattern');
    const port = own(entry, 'port');
    if (typeof pattern === 'string' && Number.isInteger(port) && typeof port === 'number') {
      const text = pattern.includes(':') ? `[${pattern}]` : pattern;
      if (port >= 1 && port <= 65535) return parseHostPattern(`${text}:${port}`, defaultPort);
    }
  }
  throw new AirlockError('ERR_INVALID_ARGUMENT', 'must be "HOST[:PORT]" or { pattern, port }');
}

function dedupeHosts(hosts: readonly HostPattern[]): HostPattern[] {
  const seen = new Set<string>();
  return hosts.filter((h) => {
    const key = `${h.pattern} ${h.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Parses a list of path patterns to their canonical text, de-duplicated;
 * `null` or absent gives null (no limit of its own). Throws
 * `AirlockError('ERR_INVALID_ARGUMENT')` naming `field`.
 */
export function parsePathPatterns(value: unknown, field: string): string[] | null {
  if (value === null || value === undefined) return null;
  const out: string[] = [];
  list(value, field).forEach((p, i) => {
    if (typeof p !== 'string') throw fail(`${field}[${i}]`, 'must be a string');
    const source = at(`${field}[${i}]`, () => parsePathPattern(p).source);
    if (!out.includes(source)) out.push(source);
  });
  return out;
}

/**
 * Parses an auth scheme (the `AuthScheme` union) from untrusted input.
 *
 * - `{ kind: 'bearer' }`
 * - `{ kind: 'basic', username?: string | null }`: no `:` or control
 *   characters in the username (RFC 7617 §2).
 * - `{ kind: 'header', header, prefix? }`: `header` is a token, stored lower
 *   case, and not hop-by-hop, `Host`, `Content-Length`, `Expect` or
 *   `Proxy-*`; `prefix` is printable ASCII (no CR, LF or controls).
 * - `{ kind: 'query', param }`: unreserved characters only.
 *
 * Throws `AirlockError('ERR_INVALID_ARGUMENT')` naming the field.
 */
export function parseAuthScheme(input: unknown, field = 'auth'): AuthScheme {
  if (!isRecord(input)) throw fail(field, 'must be an object');
  const kind = own(input, 'kind');
  switch (kind) {
    case 'bearer':
      onlyKeys(input, ['kind'], field);
      return { kind };
    case 'basic': {
      onlyKeys(input, ['kind', 'username'], field);
      const username = own(input, 'username') ?? null;
      if (username !== null && (typeof username !== 'string' || !isUsername(username))) {
        throw fail(`${field}.username`, 'must be 1-256 characters without ":" or controls');
      }
      return { kind, username };
    }
    case 'header': {
      onlyKeys(input, ['kind', 'header', 'prefix'], field);
      const header = own(input, 'header');
      if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
        throw fail(`${field}.header`, 'must be a header name token');
      }
      const name = header.toLowerCase();
      if (RESERVED_HEADERS.has(name) || name.startsWith('proxy-')) {
        throw fail(`${field}.header`, 'names a header the proxy controls');
      }
      const prefix = own(input, 'prefix') ?? '';
      if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
        throw fail(`${field}.prefix`, 'must be at most 256 printable ASCII characters');
      }
      return { kind, header: name, prefix };
    }
    case 'query': {
      onlyKeys(input, ['kind', 'param'], field);
      const param = own(input, 'param');
      if (typeof param !== 'string' || !QUERY_PARAM.test(param)) {
        throw fail(`${field}.param`, 'must be 1-128 unreserved characters');
      }
      return { kind, param };
    }
    default:
      throw fail(`${field}.kind`, 'must be one of bearer, basic, header, query');
  }
}

/**
 * Parses a service definition from the API (or from storage: the result
 * parses back to itself). Fields:
 *
 * - `scheme`: `https` (default) or `http`;
 * - `hosts`: `HOST[:PORT]` strings (or stored `{ pattern, port }`), the port
 *   defaulting to 443 for https and 80 for http (see `parseHostPattern`);
 * - `paths`: path patterns, default `['/**']` (see `parsePathPattern`);
 * - `methods`: method tokens or null for any (see `parseMethods`);
 * - `auth`: see `parseAuthScheme`;
 * - `secret`: `^[A-Za-z][A-Za-z0-9_.-]{0,127}$`;
 * - `env`: an environment variable name or null.
 *
 * Unknown fields are refused, so a typo (`path`) cannot silently widen
 * access. Throws `AirlockError('ERR_INVALID_ARGUMENT')` whose message names
 * the field and never echoes the value.
 */
export function parseServiceSpec(input: unknown): ServiceSpec {
  if (!isRecord(input)) throw fail('service', 'must be an object');
  onlyKeys(input, ['scheme', 'hosts', 'paths', 'methods', 'auth', 'secret', 'env'], 'service');
  const scheme = own(input, 'scheme') ?? 'https';
  if (scheme !== 'https' && scheme !== 'http') throw fail('scheme', 'must be "https" or "http"');
  const defaultPort = scheme === 'https' ? 443 : 80;
  const hosts = dedupeHosts(
    list(own(input, 'hosts'), 'hosts').map((h, i) =>
      at(`hosts[${i}]`, () => parseHostEntry(h, defaultPort)),
    ),
  );
  const paths = parsePathPatterns(own(input, 'paths'), 'paths') ?? ['/**'];
  const methods = parseMethods(own(input, 'methods'), 'methods');
  const auth = parseAuthScheme(own(input, 'auth'));
  const secret = own(input, 'secret');
  if (typeof secret !== 'string' || !SECRET_NAME.test(secret)) {
    throw fail('secret', 'must match ^[A-Za-z][A-Za-z0-9_.-]{0,127}$');
  }
  const env = own(input, 'env') ?? null;
  if (env !== null && (typeof env !== 'string' || !ENV_NAME.test(env))) {
    throw fail('env', 'must be an environment variable name or null');
  }
  return { scheme, hosts, paths, methods, auth, secret, env };
}
