import { AirlockError, type ErrorCode } from '../core/index.ts';
import { parseMethods } from './method.ts';
import { matchPath, type PathPattern, parsePathPattern } from './path-pattern.ts';
import { intersectPatterns, unionCovers } from './scope-paths.ts';
import type { Binding } from './types.ts';

/**
 * One entry of a scope: a service, the methods (upper case; null for any)
 * and the path patterns (canonical sources, never empty) allowed on it. An
 * entry only ever narrows: what the proxy enforces for a token is the
 * agent's bindings intersected with its scope (`scopeBindings`).
 */
export interface ScopeEntry {
  readonly service: string;
  readonly methods: readonly string[] | null;
  readonly paths: readonly string[];
}

/** A scope: the union of its entries. An empty scope allows nothing. */
export type Scope = readonly ScopeEntry[];

/** One request as a scope sees it: the service it reached, the method, and the normalised path. */
export interface ScopeRequest {
  readonly service: string;
  readonly method: string;
  readonly path: { readonly segments: readonly string[] };
}

const SERVICE_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const ALL_PATHS = '/**';
/** Bounds that keep a token small and every scope decision cheap. */
export const MAX_SCOPE_ENTRIES = 32;
const MAX_PATTERNS = 32;
const MAX_SCOPE_TEXT = 8192;

function bad(reason: string): AirlockError {
  return new AirlockError('ERR_INVALID_SCOPE', `scope: ${reason}`);
}

/**
 * Parses one scope SPEC, `SERVICE[:METHODS[:PATHS]]`:
 *
 * - `SERVICE` is a service name (a letter, then up to 63 of `A-Za-z0-9_.-`);
 * - `METHODS` is `*` (any) or comma-separated method tokens;
 * - `PATHS` is `*` (every path `/**` matches) or comma-separated path
 *   patterns (`parsePathPattern`); everything after the second `:` is
 *   paths, so a pattern may hold `:`, but not `,`.
 *
 * `github:GET,POST:/repos/acme/app/issues/**` allows GET and POST on that
 * repository's issue paths only. Omitted parts mean `*`. Throws
 * `AirlockError('ERR_INVALID_SCOPE')`, never echoing the input.
 */
export function parseScopeEntry(spec: string): ScopeEntry {
  if (typeof spec !== 'string') throw new TypeError('scope spec must be a string');
  const first = spec.indexOf(':');
  const service = first < 0 ? spec : spec.slice(0, first);
  if (!SERVICE_NAME.test(service)) throw bad('a spec must start with a service name');
  if (first < 0) return { service, methods: null, paths: [ALL_PATHS] };
  const second = spec.indexOf(':', first + 1);
  const methodText = second < 0 ? spec.slice(first + 1) : spec.slice(first + 1, second);
  const pathText = second < 0 ? '*' : spec.slice(second + 1);
  let methods: string[] | null;
  try {
    methods = methodText === '*' ? null : parseMethods(methodText.split(','));
  } catch (cause) {
    throw new AirlockError('ERR_INVALID_SCOPE', 'scope: methods must be * or METHOD,METHOD', {
      cause,
    });
  }
  return { service, methods, paths: pathText === '*' ? [ALL_PATHS] : parsePaths(pathText) };
}

function parsePaths(text: string): string[] {
  const parts = text.split(',');
  if (parts.length > MAX_PATTERNS) throw bad(`at most ${MAX_PATTERNS} path patterns per spec`);
  const out: string[] = [];
  for (const part of parts) {
    let source: string;
    try {
      source = parsePathPattern(part).source;
    } catch (cause) {
      throw new AirlockError('ERR_INVALID_SCOPE', 'scope: paths must be * or /PATTERN,/PATTERN', {
        cause,
      });
    }
    if (!out.includes(source)) out.push(source);
  }
  return out;
}

/**
 * Parses a scope from SPECs: each list item may itself hold several
 * space-separated SPECs, as the OAuth `scope` parameter does (RFC 6749
 * §3.3, RFC 8693 §2.1). Duplicate entries are dropped. At least one entry
 * is required. Throws `AirlockError('ERR_INVALID_SCOPE')`.
 */
export function parseScope(specs: string | readonly string[]): Scope {
  const list = typeof specs === 'string' ? [specs] : specs;
  const out: ScopeEntry[] = [];
  const seen = new Set<string>();
  let size = 0;
  for (const item of list) {
    if (typeof item !== 'string') throw new TypeError('scope specs must be strings');
    size += item.length + 1;
    if (size > MAX_SCOPE_TEXT) throw bad(`longer than ${MAX_SCOPE_TEXT} characters`);
    for (const spec of item.split(' ')) {
      if (spec === '') continue;
      const entry = parseScopeEntry(spec);
      const key = formatScopeEntry(entry);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(entry);
    }
  }
  if (out.length === 0) throw bad('no spec given');
  if (out.length > MAX_SCOPE_ENTRIES) throw bad(`at most ${MAX_SCOPE_ENTRIES} specs`);
  return out;
}

/**
 * The SPEC text of an entry, shortest form: `github`, `github:GET`,
 * `github:*:/a/**`. `parseScopeEntry` reads it back to an equal entry.
 * Throws `ERR_INVALID_SCOPE` for a pattern holding `,`, which a SPEC cannot carry.
 */
export function formatScopeEntry(entry: ScopeEntry): string {
  const methods = entry.methods === null ? '*' : entry.methods.join(',');
  const allPaths = entry.paths.length === 1 && entry.paths[0] === ALL_PATHS;
  if (entry.paths.some((p) => p.includes(','))) throw bad('a path pattern holds ","');
  if (allPaths) return entry.methods === null ? entry.service : `${entry.service}:${methods}`;
  return `${entry.service}:${methods}:${entry.paths.join(',')}`;
}

/** The scope as one space-separated string, the form of the OAuth `scope` parameter and claim. */
export function formatScope(scope: Scope): string {
  return scope.map(formatScopeEntry).join(' ');
}

/** True when `scope` allows the request: some entry names its service, method and path. */
export function scopeAllows(scope: Scope, request: ScopeRequest): boolean {
  return scope.some(
    (e) =>
      e.service === request.service &&
      (e.methods === null || e.methods.includes(request.method)) &&
      e.paths.some((p) => matchPath(parsePathPattern(p), request.path)),
  );
}

/**
 * True when every request `inner` allows, `outer` allows too. Exact, not
 * approximated: per service and per method (each method `outer` names, and
 * "any other" when `inner` allows any), each of `inner`'s path patterns must
 * be covered by the union of `outer`'s patterns for that method
 * (`unionCovers`), so entries that only together cover a request count.
 */
export function scopeContains(outer: Scope, inner: Scope): boolean {
  return inner.every((e) => entryCovered(outer, e));
}

function entryCovered(outer: Scope, e: ScopeEntry): boolean {
  const same = outer.filter((o) => o.service === e.service);
  const methods: (string | null)[] = [];
  if (e.methods === null) {
    for (const o of same)
      for (const m of o.methods ?? []) if (!methods.includes(m)) methods.push(m);
    // null stands for every method no entry names: only an any-method entry covers it.
    methods.push(null);
  } else {
    methods.push(...e.methods);
  }
  for (const m of methods) {
    const union: PathPattern[] = [];
    for (const o of same) {
      if (o.methods === null || (m !== null && o.methods.includes(m))) {
        for (const p of o.paths) union.push(parsePathPattern(p));
      }
    }
    if (union.length === 0) return false;
    for (const p of e.paths) if (!unionCovers(parsePathPattern(p), union)) return false;
  }
  return true;
}

function intersectMethods(
  a: readonly string[] | null,
  b: readonly string[] | null,
): readonly string[] | null | false {
  if (a === null) return b;
  if (b === null) return a;
  const both = a.filter((m) => b.includes(m));
  return both.length === 0 ? false : both;
}

function intersectPathLists(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  for (const x of a) {
    for (const y of b) {
      const both = intersectPatterns(parsePathPattern(x), parsePathPattern(y));
      if (both !== null && !out.includes(both.source)) out.push(both.source);
    }
  }
  return out;
}

/**
 * The scope allowing exactly what both `a` and `b` allow: entries of the
 * same service, pairwise, with methods and path patterns intersected
 * (patterns intersect to a pattern, see `intersectPatterns`). Pairs that
 * share nothing drop out, so the result may be empty.
 */
export function intersectScope(a: Scope, b: Scope): Scope {
  const out: ScopeEntry[] = [];
  for (const x of a) {
    for (const y of b) {
      if (x.service !== y.service) continue;
      const methods = intersectMethods(x.methods, y.methods);
      if (methods === false) continue;
      const paths = intersectPathLists(x.paths, y.paths);
      if (paths.length > 0) out.push({ service: x.service, methods, paths });
    }
  }
  return out;
}

/**
 * The scope of everything an agent's bindings allow at `now`: one entry per
 * unexpired binding, its methods, and its path pattern sets (service and
 * grant, a conjunction) intersected into one list. This is a task's scope
 * when `airlock task start` is given no `--scope`.
 */
export function scopeFromBindings(bindings: readonly Binding[], now: number): Scope {
  const out: ScopeEntry[] = [];
  for (const b of bindings) {
    if (b.expiresAt !== null && now >= b.expiresAt) continue;
    let paths: string[] = [ALL_PATHS];
    for (const set of b.pathSets) paths = intersectPathLists(paths, set);
    if (paths.length > 0) out.push({ service: b.serviceName, methods: b.methods, paths });
  }
  return out;
}

/**
 * The bindings a token holder may use: each binding narrowed by every scope
 * entry of its service (methods intersected, the entry's paths added as one
 * more conjunct). A binding no entry names is dropped, so the proxy enforces
 * the token's scope, never the agent's wider grants.
 */
export function scopeBindings(bindings: readonly Binding[], scope: Scope): Binding[] {
  const out: Binding[] = [];
  for (const b of bindings) {
    for (const e of scope) {
      if (e.service !== b.serviceName) continue;
      const methods = intersectMethods(b.methods, e.methods);
      if (methods === false) continue;
      out.push({ ...b, methods, pathSets: [...b.pathSets, e.paths] });
    }
  }
  return out;
}

/**
 * Refuses `requested` unless `bound` contains it (`scopeContains`): a scope
 * is never silently clipped. `code` says what bounds it:
 * `ERR_SCOPE_EXCEEDS_GRANT` (the agent's grants, at task start) or
 * `ERR_SCOPE_EXCEEDS_PARENT` (the subject token, in an exchange, RFC 8693
 * §2.1 `scope`). The message names the first entry that is too wide.
 */
export function requireScopeWithin(
  bound: Scope,
  requested: Scope,
  code: Extract<ErrorCode, 'ERR_SCOPE_EXCEEDS_GRANT' | 'ERR_SCOPE_EXCEEDS_PARENT'>,
): void {
  for (const e of requested) {
    if (entryCovered(bound, e)) continue;
    const what = code === 'ERR_SCOPE_EXCEEDS_GRANT' ? "the agent's grants" : 'the parent token';
    throw new AirlockError(code, `scope ${formatScopeEntry(e)} is wider than ${what}`);
  }
}
