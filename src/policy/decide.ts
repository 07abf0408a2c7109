import { matchHost } from './host.ts';
import { matchPath, parsePathPattern } from './path-pattern.ts';
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

/** True when some pattern of `set` matches. A pattern that no longer parses matches nothing. */
function setAllows(
  set: readonly string[],
  path: { readonly segments: readonly string[] },
): boolean {
  return set.some((p) => {
    try {
      return matchPath(parsePathPattern(p), path);
    } catch {
      return false;
    }
  });
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
    if (b.pathSets.every((set) => setAllows(set, normalizedPath))) return b;
  }
  return null;
}
