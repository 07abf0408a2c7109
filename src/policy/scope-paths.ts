import { isOpaqueSegment } from './path.ts';
import { type PathPattern, type PatternSegment, patternContains } from './path-pattern.ts';

/** The text of one segment in a pattern's canonical source. */
function segmentText(s: PatternSegment): string {
  switch (s.kind) {
    case 'literal':
      return s.text;
    case 'star':
      return '*';
    case 'globstar':
      return '**';
  }
}

function fromSegments(segments: readonly PatternSegment[]): PathPattern {
  return { source: `/${segments.map(segmentText).join('/')}`, segments };
}

/** A segment a glob may stand for: `*` needs a non-empty, non-opaque one, `**` a non-opaque one. */
function globAccepts(glob: 'star' | 'globstar', s: PatternSegment): PatternSegment | null {
  switch (s.kind) {
    case 'globstar':
      return glob === 'globstar' ? s : { kind: 'star' };
    case 'star':
      return s;
    case 'literal':
      if (isOpaqueSegment(s.text)) return null;
      return glob === 'star' && s.text === '' ? null : s;
  }
}

/**
 * The pattern matching exactly the paths both `a` and `b` match, or null
 * when no path matches both. Segment globs are closed under intersection:
 * position by position, a literal meets a glob as that literal (when the
 * glob accepts it), `*` meets `*` as `*`, and a trailing `**` meets the rest
 * of the other pattern as that rest (when every segment of it is non-opaque).
 */
export function intersectPatterns(a: PathPattern, b: PathPattern): PathPattern | null {
  const out: PatternSegment[] = [];
  for (let i = 0; ; i++) {
    const x = a.segments[i];
    const y = b.segments[i];
    if (x === undefined && y === undefined) return fromSegments(out);
    // One pattern ended: the other matches here only through a `**` that takes zero segments.
    if (x === undefined) return y?.kind === 'globstar' ? fromSegments(out) : null;
    if (y === undefined) return x.kind === 'globstar' ? fromSegments(out) : null;
    if (x.kind === 'globstar' || y.kind === 'globstar') {
      const rest = (x.kind === 'globstar' ? b : a).segments.slice(i);
      for (const s of rest) {
        const kept = globAccepts('globstar', s);
        if (kept === null) return null;
        out.push(kept);
      }
      return fromSegments(out);
    }
    if (x.kind === 'star' || y.kind === 'star') {
      const kept = globAccepts('star', x.kind === 'star' ? y : x);
      if (kept === null) return null;
      out.push(kept);
      continue;
    }
    if (x.text !== y.text) return null;
    out.push(x);
  }
}

/** Where one pattern of the union stands while the search walks a path. */
interface Cursor {
  readonly q: number;
  readonly at: number;
}

/** A segment value the search feeds the union: a literal's text, or any other non-empty, non-opaque segment. */
type SegmentClass = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'fresh' };

const FRESH: SegmentClass = { kind: 'fresh' };

/** Most search states a single union check may visit before it answers "not covered". */
const MAX_STATES = 20_000;

/**
 * True when every path `p` matches is matched by at least one pattern of
 * `union`: the exact subset test for a pattern against a union, which a
 * pattern-by-pattern `patternContains` only approximates (`/a/*` is covered
 * by `/a/x` plus `/a/*`, and `/a/**` by nothing short of a `**` at `/a`).
 *
 * The search walks `p` segment by segment with the set of union patterns
 * still alive. A segment `*` of `p` stands for infinitely many values, but
 * the union only tells apart the literals it names at that position and
 * "any other" one, so it branches on those classes. A trailing `**` of `p`
 * is covered only by a live `**`: any other live pattern has a fixed prefix
 * that a long enough run of empty segments (which `**` matches and `*`
 * does not) escapes. States are memoised; past `MAX_STATES` the answer is
 * false, which refuses more than needed, never less.
 */
export function unionCovers(p: PathPattern, union: readonly PathPattern[]): boolean {
  if (union.some((q) => patternContains(q, p))) return true;
  const seen = new Map<string, boolean>();
  let budget = MAX_STATES;

  const step = (alive: readonly Cursor[], value: SegmentClass): Cursor[] => {
    const next: Cursor[] = [];
    for (const c of alive) {
      const s = union[c.q]?.segments[c.at];
      if (s === undefined) continue;
      const text = value.kind === 'text' ? value.text : null;
      const opaque = text !== null && isOpaqueSegment(text);
      switch (s.kind) {
        case 'literal':
          if (text === s.text) next.push({ q: c.q, at: c.at + 1 });
          break;
        case 'star':
          if (text !== '' && !opaque) next.push({ q: c.q, at: c.at + 1 });
          break;
        case 'globstar':
          if (!opaque) next.push(c);
          break;
      }
    }
    return next;
  };

  const covers = (i: number, alive: readonly Cursor[]): boolean => {
    if (alive.length === 0) return false;
    const key = `${i}|${alive.map((c) => `${c.q}.${c.at}`).join(',')}`;
    const known = seen.get(key);
    if (known !== undefined) return known;
    if (--budget < 0) return false;
    const result = decide(i, alive);
    seen.set(key, result);
    return result;
  };

  const decide = (i: number, alive: readonly Cursor[]): boolean => {
    const seg = p.segments[i];
    const liveSegment = (c: Cursor) => union[c.q]?.segments[c.at];
    if (seg === undefined) {
      return alive.some((c) => {
        const s = liveSegment(c);
        return s === undefined || s.kind === 'globstar';
      });
    }
    switch (seg.kind) {
      case 'globstar':
        return alive.some((c) => liveSegment(c)?.kind === 'globstar');
      case 'literal':
        return covers(i + 1, step(alive, { kind: 'text', text: seg.text }));
      case 'star': {
        const texts = new Set<string>();
        for (const c of alive) {
          const s = liveSegment(c);
          if (s?.kind === 'literal' && s.text !== '' && !isOpaqueSegment(s.text)) texts.add(s.text);
        }
        for (const text of texts) {
          if (!covers(i + 1, step(alive, { kind: 'text', text }))) return false;
        }
        return covers(i + 1, step(alive, FRESH));
      }
    }
  };

  return covers(
    0,
    union.map((_, q) => ({ q, at: 0 })),
  );
}
