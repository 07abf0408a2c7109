import { AirlockError } from '../core/index.ts';
import { parseMethods } from './method.ts';
import { parsePathPattern, patternContains } from './path-pattern.ts';
import { parsePathPatterns } from './service.ts';
import type { Binding, ServiceSpec } from './types.ts';

/** What a grant narrows a service to: null means "the service's own limit". */
export interface GrantLimits {
  readonly methods: readonly string[] | null;
  readonly paths: readonly string[] | null;
}

function wider(what: string): AirlockError {
  return new AirlockError('ERR_INVALID_ARGUMENT', `grant is wider than service: ${what}`);
}

/**
 * Checks that a grant stays within its service and returns its limits in
 * canonical form (methods upper case and de-duplicated, path patterns
 * normalised). `grant` may come straight from the API.
 *
 * - Methods must be a subset of the service's, when the service limits them.
 * - Each path pattern must be contained (`patternContains`) in some service
 *   path pattern. (A pattern covered only by a union of service patterns is
 *   refused: that is stricter than needed, never looser.)
 *
 * Throws `AirlockError('ERR_INVALID_ARGUMENT')`: "grant is wider than
 * service" when it would widen, or naming the malformed field.
 */
export function validateGrantNarrowing(
  service: ServiceSpec,
  grant: { readonly methods: unknown; readonly paths: unknown },
): GrantLimits {
  const methods = parseMethods(grant.methods, 'methods');
  const paths = parsePathPatterns(grant.paths, 'paths');
  if (methods !== null && service.methods !== null) {
    for (const m of methods) if (!service.methods.includes(m)) throw wider(`method ${m}`);
  }
  if (paths !== null) {
    const outer = service.paths.map((p) => parsePathPattern(p));
    paths.forEach((p, i) => {
      const inner = parsePathPattern(p);
      if (!outer.some((o) => patternContains(o, inner))) throw wider(`paths[${i}]`);
    });
  }
  return { methods, paths };
}

/**
 * The binding the proxy enforces for one grant: the service's destination
 * and auth, the grant's expiry, methods as the intersection of both lists,
 * and path pattern lists as separate conjuncts (`[service.paths]`, plus
 * `[grant.paths]` when the grant sets them), so a request must match both.
 * Intersecting rather than trusting `validateGrantNarrowing` keeps a binding
 * within its service even if the service changed after the grant was made.
 */
export function buildBinding(
  grantId: string,
  serviceName: string,
  spec: ServiceSpec,
  grant: GrantLimits & { readonly expiresAt: number | null },
): Binding {
  let methods: readonly string[] | null;
  if (spec.methods === null) methods = grant.methods;
  else if (grant.methods === null) methods = spec.methods;
  else {
    const g = grant.methods;
    methods = spec.methods.filter((m) => g.includes(m));
  }
  const pathSets: (readonly string[])[] = [spec.paths];
  if (grant.paths !== null) pathSets.push(grant.paths);
  return {
    grantId,
    serviceName,
    secretName: spec.secret,
    scheme: spec.scheme,
    hosts: spec.hosts,
    pathSets,
    methods,
    auth: spec.auth,
    expiresAt: grant.expiresAt,
  };
}
