/** An origin-form request-target after `normalizePath`. */
export interface NormalizedPath {
  readonly ok: true;
  /** The normalised path, always starting with `/`. */
  readonly path: string;
  /**
   * `path` split on `/` after the leading one: `/` is `['']`, `/a/` is
   * `['a', '']`. A segment holding `%2F`, `%5C` or `\` is opaque (see
   * `isOpaqueSegment`).
   */
  readonly segments: readonly string[];
  /** The query without its `?`, unchanged; empty when there is none. */
  readonly query: string;
}

/** Why a request-target was refused. `reason` is safe to show: it never echoes the input. */
export interface PathRejection {
  readonly ok: false;
  readonly reason: string;
}

/** The longest request-target `normalizePath` accepts. */
export const MAX_REQUEST_TARGET = 16384;

const UNRESERVED = /^[A-Za-z0-9._~-]$/;
const HEX2 = /^[0-9A-Fa-f]{2}$/;
// `%252E`-style double encoding and overlong UTF-8 (`%C0%AE`) decode to `.`, `/`
// or `\` on servers that decode twice or leniently.
const OPAQUE = /%2F|%5C|\\|%25(?:2[EeFf]|5[Cc])|%C[01]/;
const DOT_WITH_PARAMS = /^\.\.?(?:;|%3B)/;

/**
 * Percent-encoding normalisation of one segment (RFC 3986 §6.2.2.1 and
 * §6.2.2.2): decodes triplets that stand for unreserved characters and
 * upper-cases the hex of the rest. Returns null on a malformed triplet.
 */
export function normalizeSegment(raw: string): string | null {
  if (!raw.includes('%')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw.charAt(i);
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!HEX2.test(hex)) return null;
    const decoded = String.fromCharCode(Number.parseInt(hex, 16));
    out += UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`;
    i += 2;
  }
  return out;
}

/**
 * True when a normalised segment holds an encoded `/` (`%2F`), an encoded
 * `\` (`%5C`), a raw `\`, a double-encoded `.`, `/` or `\` (`%252E`), or
 * an overlong UTF-8 lead byte (`%C0`, `%C1`). Servers disagree on whether these split the path
 * (`/a%2F..%2Fadmin`, `/a\..\admin`), so such a segment never matches `*` or
 * `**`: only a pattern with the identical literal segment matches it.
 */
export function isOpaqueSegment(segment: string): boolean {
  return OPAQUE.test(segment);
}

/** Why `text` holds a character no request-target may, or null. */
function charProblem(text: string): string | null {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x20) return 'space in request-target';
    if (c < 0x20 || c === 0x7f) return 'control character in request-target';
    if (c > 0x7e) return 'non-ASCII character in request-target';
    if (c === 0x23) return 'fragment in request-target';
  }
  return null;
}

/**
 * Normalises an origin-form request-target (RFC 9112 §3.2.1) so policy
 * matches the path the upstream will serve, and returns the path to forward.
 *
 * - It must start with `/`. Control characters, spaces, non-ASCII, `#` and
 *   malformed `%` triplets in the path are refused.
 * - The query is split off at the first `?` and kept as is.
 * - Percent-encoding is normalised per segment (`normalizeSegment`), then
 *   dot segments are removed (RFC 3986 §5.2.4), so `%2e%2e` counts as `..`.
 *   `..` above the root stays at the root.
 * - A dot segment carrying path parameters (`..;x`, `.%3B`) is refused:
 *   some servers (Tomcat, Jetty) strip the parameters and then climb.
 * - Empty segments (`//`) are kept, not collapsed: collapsing would change
 *   the resource on servers that keep them. They never match `*`.
 */
export function normalizePath(rawTarget: string): NormalizedPath | PathRejection {
  if (typeof rawTarget !== 'string') throw new TypeError('request-target must be a string');
  if (rawTarget.length > MAX_REQUEST_TARGET)
    return { ok: false, reason: 'request-target too long' };
  if (!rawTarget.startsWith('/')) return { ok: false, reason: 'request-target must start with /' };
  const problem = charProblem(rawTarget);
  if (problem !== null) return { ok: false, reason: problem };
  const q = rawTarget.indexOf('?');
  const rawPath = q < 0 ? rawTarget : rawTarget.slice(0, q);
  const query = q < 0 ? '' : rawTarget.slice(q + 1);
  const input = rawPath.slice(1).split('/');
  const out: string[] = [];
  for (let i = 0; i < input.length; i++) {
    const seg = normalizeSegment(input[i] ?? '');
    if (seg === null) return { ok: false, reason: 'malformed percent-encoding in path' };
    if (DOT_WITH_PARAMS.test(seg)) return { ok: false, reason: 'path parameter on a dot segment' };
    const last = i === input.length - 1;
    if (seg === '.' || seg === '..') {
      if (seg === '..') out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(seg);
  }
  if (out.length === 0) out.push('');
  return { ok: true, path: `/${out.join('/')}`, segments: out, query };
}
