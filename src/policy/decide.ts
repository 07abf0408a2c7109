import { matchHost } from './host.ts';
import { matchPath, type PathPattern, parsePathPattern } from './path-pattern.ts';
import type { Binding } from './types.ts';

/**
 * The bindings whose service lives at `scheme://host:port` and whose grant
 * has not expired at `now` (a grant expires at `expiresAt`: `now >=
 * expiresAt` drops it). `host` is canonical, as from `parseConnectTarget`.
 * An empty result means the destination is not intercepted for this agent.
 */
export function bindingsForDestination(
  bindings: readonly Binding[],
  scheme: 'https' | 'http',
  host: string,
  port: number,
  now: number,
): Binding[] {
  return bindings.filter(
    (b) =>
      b.scheme === scheme &&
      (b.expiresAt === null || now < b.expiresAt) &&
      b.hosts.some((h) => matchHost(h, host, port)),
  );
}

/**
 * Parsed path sets, keyed by the pattern list they were parsed from.
 * Bindings are built when policy changes, not per request, so each list is
 * parsed once and every request after that only matches (the way jose keeps
 * imported keys in a WeakMap). A pattern that no longer parses is kept as
 * null and matches nothing. Entries go with their bindings.
 */
const compiled = new WeakMap<readonly string[], readonly (PathPattern | null)[]>();

function compile(set: readonly string[]): readonly (PathPattern | null)[] {
  let patterns = compiled.get(set);
  if (patterns === undefined) {
    patterns = set.map((p) => {
      try {
        return parsePathPattern(p);
      } catch {
        return null;
      }
    });
    compiled.set(set, patterns);
  }
  return patterns;
}

/** True when some pattern of `set` matches. A pattern that no longer parses matches nothing. */
function setAllows(
  set: readonly string[],
  path: { readonly segments: readonly string[] },
): boolean {
  for (const pattern of compile(set)) {
    if (pattern !== null && matchPath(pattern, path)) return true;
  }
  return false;
}

/**
 * The first candidate that allows this request: its methods include `method`
 * (compared exactly; methods are case-sensitive, RFC 9110 §9.1) and every
 * one of its path sets has a pattern matching the normalised path. Null
 * means refuse: no credential may be injected.
 */
export function selectBinding(
  candidates: readonly Binding[],
  method: string,
  normalizedPath: { readonly segments: readonly string[] },
): Binding | null {
  for (const b of candidates) {
    if (b.methods !== null && !b.methods.includes(method)) continue;
    let allowed = true;
    for (const set of b.pathSets) {
      if (!setAllows(set, normalizedPath)) {
        allowed = false;
        break;
      }
    }
    if (allowed) return b;
  }
  return null;
}
