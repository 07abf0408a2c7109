import { AirlockError } from '../core/index.ts';
import { isOpaqueSegment, normalizeSegment } from './path.ts';

/** One segment of a path pattern. */
export type PatternSegment =
  /** Matches exactly this normalised segment. */
  | { readonly kind: 'literal'; readonly text: string }
  /** `*`: exactly one non-empty, non-opaque segment. */
  | { readonly kind: 'star' }
  /** `**` (last segment only): zero or more non-opaque segments. */
  | { readonly kind: 'globstar' };

/** A parsed path pattern; `source` is its canonical text, which parses back to it. */
export interface PathPattern {
  readonly source: string;
  readonly segments: readonly PatternSegment[];
}

const MAX_PATTERN = 1024;

function invalid(reason: string): AirlockError {
  return new AirlockError('ERR_INVALID_ARGUMENT', `path pattern: ${reason}`);
}

/**
 * Parses a path pattern: `/`-rooted segment globs.
 *
 * - `*` as a whole segment matches exactly one non-empty segment.
 * - `**`, only as the last segment, matches the rest: zero or more segments
 *   (`/a/**` matches `/a`, `/a/` and `/a/b/c`; `/**` matches every path).
 * - Any other segment is a literal, compared after the same percent-encoding
 *   normalisation as request paths. `*` inside a literal, `.` and `..`
 *   segments, empty segments other than a trailing `/`, `?` and `#` are
 *   refused.
 * - Neither glob matches an opaque segment (`%2F`, `%5C`, `\`); a literal
 *   that holds one matches only the identical segment.
 *
 * Throws `AirlockError('ERR_INVALID_ARGUMENT')`.
 */
export function parsePathPattern(p: string): PathPattern {
  if (typeof p !== 'string') throw new TypeError('path pattern must be a string');
  if (p.length > MAX_PATTERN) throw invalid(`longer than ${MAX_PATTERN} characters`);
  if (!p.startsWith('/')) throw invalid('must start with /');
  if (!/^[\x21-\x7e]*$/.test(p))
    throw invalid('spaces, control and non-ASCII characters are not allowed');
  if (p.includes('?') || p.includes('#')) throw invalid('query and fragment are not allowed');
  const raw = p.slice(1).split('/');
  const segments: PatternSegment[] = [];
  const texts: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const seg = raw[i] ?? '';
    const last = i === raw.length - 1;
    if (seg === '**') {
      if (!last) throw invalid('"**" is allowed only as the last segment');
      segments.push({ kind: 'globstar' });
      texts.push(seg);
      continue;
    }
    if (seg === '*') {
      segments.push({ kind: 'star' });
      texts.push(seg);
      continue;
    }
    if (seg.includes('*')) throw invalid('"*" must be a whole segment');
    if (seg === '' && !last) throw invalid('empty segment');
    const text = normalizeSegment(seg);
    if (text === null) throw invalid('malformed percent-encoding');
    if (text === '.' || text === '..') throw invalid('dot segments are not allowed');
    segments.push({ kind: 'literal', text });
    texts.push(text);
  }
  return { source: `/${texts.join('/')}`, segments };
}

/**
 * True when `pattern` matches a normalised path (its `segments`, from
 * `normalizePath`).
 */
export function matchPath(
  pattern: PathPattern,
  path: { readonly segments: readonly string[] },
): boolean {
  const segs = path.segments;
  const pat = pattern.segments;
  for (let i = 0; i < pat.length; i++) {
    const p = pat[i];
    if (p === undefined) return false;
    if (p.kind === 'globstar') {
      for (let j = i; j < segs.length; j++) if (isOpaqueSegment(segs[j] ?? '')) return false;
      return true;
    }
    const s = segs[i];
    if (s === undefined) return false;
    if (p.kind === 'star') {
      if (s === '' || isOpaqueSegment(s)) return false;
    } else if (s !== p.text) {
      return false;
    }
  }
  return pat.length === segs.length;
}

/** True when a glob that accepts any non-empty, non-opaque segment accepts all of `inner`'s matches. */
function starCovers(inner: PatternSegment): boolean {
  switch (inner.kind) {
    case 'star':
      return true;
    case 'literal':
      return inner.text !== '' && !isOpaqueSegment(inner.text);
    case 'globstar':
      return false;
  }
}

/**
 * True when every path `inner` matches is also matched by `outer`: the
 * subset test that keeps a grant inside its service. It is exact for these
 * globs: `/**` contains every pattern without opaque literals; `/a/*`
 * contains `/a/b` and `/a/*` but not `/a/**` (which also matches `/a`).
 */
export function patternContains(outer: PathPattern, inner: PathPattern): boolean {
  const o = outer.segments;
  const n = inner.segments;
  for (let i = 0; i < o.length; i++) {
    const op = o[i];
    if (op === undefined) return false;
    if (op.kind === 'globstar') {
      for (let j = i; j < n.length; j++) {
        const ip = n[j];
        if (ip?.kind === 'literal' && isOpaqueSegment(ip.text)) return false;
      }
      return true;
    }
    const ip = n[i];
    if (ip === undefined) return false;
    if (op.kind === 'star') {
      if (!starCovers(ip)) return false;
    } else if (ip.kind !== 'literal' || ip.text !== op.text) {
      return false;
    }
  }
  return o.length === n.length;
}
