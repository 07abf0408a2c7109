import { AirlockError } from '../core/index.ts';
import {
  endsInNumber,
  formatIpv4,
  formatIpv6,
  parseIpv4Loose,
  parseIpv4Strict,
  parseIpv6,
} from './ip.ts';
import type { HostPattern } from './types.ts';

/** A `CONNECT` request-target after parsing: canonical host (IPv6 without brackets) and port. */
export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
}

const MAX_AUTHORITY = 300;
const MAX_NAME = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const PORT = /^[1-9][0-9]{0,4}$/;

/** Why `name` (lower case) is not a DNS host name, or null when it is one. */
function hostnameProblem(name: string): string | null {
  if (name === '') return 'empty host';
  if (name.length > MAX_NAME) return `host name longer than ${MAX_NAME} characters`;
  if (name.endsWith('.')) return 'trailing dot is not allowed';
  for (const label of name.split('.')) {
    if (label === '') return 'empty label';
    if (label.length > 63) return 'label longer than 63 characters';
    if (!LABEL.test(label)) return 'label must be letters, digits and inner hyphens';
  }
  return null;
}

/** The first character that no authority may hold, named for the error message. */
function charProblem(text: string, allowStar: boolean): string | null {
  for (const ch of text) {
    if (/^[A-Za-z0-9.:[\]-]$/.test(ch) || (allowStar && ch === '*')) continue;
    if (ch === '@') return 'userinfo is not allowed';
    if (ch === '/' || ch === '?' || ch === '#' || ch === '\\') {
      return 'scheme, path or query is not allowed';
    }
    if (ch === '%') return 'percent-encoding and zone identifiers are not allowed';
    return 'invalid character';
  }
  return null;
}

interface Split {
  readonly host: string;
  readonly bracketed: boolean;
  readonly port: string | null;
}

/** Splits `host`, `host:port`, `[v6]` or `[v6]:port`. */
function splitAuthority(text: string): Split | string {
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end < 0) return 'unclosed "["';
    const rest = text.slice(end + 1);
    if (rest !== '' && !rest.startsWith(':')) return 'unexpected text after "]"';
    return { host: text.slice(1, end), bracketed: true, port: rest === '' ? null : rest.slice(1) };
  }
  if (text.includes('[') || text.includes(']')) return 'misplaced bracket';
  const colon = text.lastIndexOf(':');
  if (colon < 0) return { host: text, bracketed: false, port: null };
  const host = text.slice(0, colon);
  if (host.includes(':')) return 'IPv6 address must be in brackets';
  return { host, bracketed: false, port: text.slice(colon + 1) };
}

function parsePort(text: string): number | null {
  if (!PORT.test(text)) return null;
  const port = Number(text);
  return port <= 65535 ? port : null;
}

/**
 * Canonical host text. `ipv4` decides how a numeric host is read: `strict`
 * (patterns: dotted quad only) or `loose` (CONNECT: any inet_aton form,
 * rewritten to a dotted quad).
 */
function canonicalHost(split: Split, wildcard: boolean, ipv4: 'strict' | 'loose'): string {
  if (split.bracketed) {
    const words = parseIpv6(split.host);
    if (words === null) throw new Error('invalid IPv6 address');
    return formatIpv6(words);
  }
  const host = split.host.toLowerCase();
  if (wildcard && host.startsWith('*.')) {
    const base = host.slice(2);
    if (base.includes('*')) throw new Error('"*" is allowed only as the whole first label');
    if (endsInNumber(base)) throw new Error('a wildcard cannot cover an IP address');
    const problem = hostnameProblem(base);
    if (problem !== null) throw new Error(problem);
    if (!base.includes('.')) throw new Error('a wildcard needs at least two labels after "*."');
    return `*.${base}`;
  }
  if (host.includes('*')) throw new Error('"*" is allowed only as the whole first label');
  if (host.endsWith('.')) throw new Error('trailing dot is not allowed');
  if (endsInNumber(host)) {
    const value = ipv4 === 'strict' ? parseIpv4Strict(host) : parseIpv4Loose(host);
    if (value === null) {
      throw new Error(
        ipv4 === 'strict' ? 'IPv4 address must be a dotted quad' : 'invalid IPv4 address',
      );
    }
    return formatIpv4(value);
  }
  const problem = hostnameProblem(host);
  if (problem !== null) throw new Error(problem);
  return host;
}

/** Runs `fn`, turning its plain `Error` reason into an `AirlockError` with `code`. */
function withReason<T>(
  code: 'ERR_INVALID_ARGUMENT' | 'ERR_BAD_REQUEST',
  what: string,
  fn: () => T,
): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof AirlockError || err instanceof TypeError) throw err;
    const reason = err instanceof Error ? err.message : 'invalid';
    throw new AirlockError(code, `${what}: ${reason}`);
  }
}

/**
 * Parses a service host pattern `HOST[:PORT]` (port defaults to `defaultPort`).
 *
 * - `HOST` is a DNS name (LDH labels of 1–63 characters, at most 253 in all,
 *   no trailing dot; IDNs in their `xn--` form), a dotted-quad IPv4 address,
 *   or an IPv6 address in brackets (`[::1]:8443`, stored canonical per
 *   RFC 5952 without the brackets).
 * - A leading `*.` matches subdomains at any depth: `*.example.com` matches
 *   `a.example.com` and `a.b.example.com`, never `example.com` itself. The
 *   part after `*.` needs at least two labels, so `*.com` is refused.
 * - Names are case-insensitive and stored lower case.
 *
 * Throws `AirlockError('ERR_INVALID_ARGUMENT')` naming the problem, never
 * echoing the input.
 */
export function parseHostPattern(input: string, defaultPort: number): HostPattern {
  if (typeof input !== 'string') throw new TypeError('host pattern must be a string');
  if (!Number.isInteger(defaultPort) || defaultPort < 1 || defaultPort > 65535) {
    throw new TypeError('defaultPort must be an integer in 1..65535');
  }
  return withReason('ERR_INVALID_ARGUMENT', 'host pattern', () => {
    if (input.length > MAX_AUTHORITY) throw new Error('too long');
    const bad = charProblem(input, true);
    if (bad !== null) throw new Error(bad);
    const split = splitAuthority(input);
    if (typeof split === 'string') throw new Error(split);
    let port = defaultPort;
    if (split.port !== null) {
      const parsed = parsePort(split.port);
      if (parsed === null) throw new Error('port must be an integer in 1..65535');
      port = parsed;
    }
    return { pattern: canonicalHost(split, true, 'strict'), port };
  });
}

/**
 * True when `host:port` is covered by `pattern`. `host` must already be
 * canonical, as `parseConnectTarget` returns it (lower case, IPv4 dotted
 * quad, IPv6 per RFC 5952 without brackets); matching is then exact string
 * comparison, or a suffix match on a label boundary for `*.` patterns.
 */
export function matchHost(pattern: HostPattern, host: string, port: number): boolean {
  if (port !== pattern.port) return false;
  const p = pattern.pattern;
  if (p.startsWith('*.')) {
    const suffix = p.slice(1);
    return host.length > suffix.length && host.endsWith(suffix);
  }
  return host === p;
}

/** `host:port`, with an IPv6 host in brackets: the authority form of a canonical host. */
export function formatAuthority(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The text form of a host pattern (`*.example.com:443`, `[::1]:8443`), which parses back to it. */
export function formatHostPattern(pattern: HostPattern): string {
  return formatAuthority(pattern.pattern, pattern.port);
}

/**
 * Parses the authority-form request-target of `CONNECT` (RFC 9110 §9.3.6):
 * `host:port` or `[ipv6]:port`. The port is required (1–65535, no leading
 * zeros). The result is canonical, so policy and the SSRF guard compare the
 * same text the proxy dials:
 *
 * - names are lower-cased; a trailing dot is refused rather than stripped
 *   (it would also change how SNI and `Host` must read);
 * - an IPv4 address in any form libc's resolver accepts (`2130706433`,
 *   `0177.0.0.1`, `0x7f.1`, `127.1`) becomes its dotted quad, so the guard
 *   sees the real address; a host whose last label is numeric but is no
 *   valid IPv4 address is refused (the WHATWG URL rule);
 * - IPv6 is returned per RFC 5952 without brackets; IPv4-mapped addresses
 *   stay IPv6 (`::ffff:127.0.0.1`; see `ipv4Mapped`);
 * - userinfo, paths, percent-encoding, zone ids, spaces and control
 *   characters are refused.
 *
 * Throws `AirlockError('ERR_BAD_REQUEST')`.
 */
export function parseConnectTarget(authority: string): ConnectTarget {
  if (typeof authority !== 'string') throw new TypeError('authority must be a string');
  return withReason('ERR_BAD_REQUEST', 'CONNECT target', () => {
    if (authority.length > MAX_AUTHORITY) throw new Error('too long');
    const bad = charProblem(authority, false);
    if (bad !== null) throw new Error(bad);
    const split = splitAuthority(authority);
    if (typeof split === 'string') throw new Error(split);
    if (split.port === null) throw new Error('port is required');
    const port = parsePort(split.port);
    if (port === null) throw new Error('port must be an integer in 1..65535');
    return { host: canonicalHost(split, false, 'loose'), port };
  });
}
