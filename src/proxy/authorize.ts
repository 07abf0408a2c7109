import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { AirlockError } from '../core/index.ts';
import {
  type Binding,
  bindingsForDestination,
  type HeaderEntry,
  injectCredential,
  type NormalizedPath,
  normalizePath,
  selectBinding,
} from '../policy/index.ts';
import type { ProxyContext, Trace } from './context.ts';
import { rewriteRequestHeaders } from './headers.ts';
import { RequestPlaceholders } from './placeholders.ts';
import type { AgentPrincipal } from './types.ts';
import type { Destination } from './upstream.ts';

/** A request that policy allows: the binding whose credential it gets. */
export interface Authorized {
  readonly principal: AgentPrincipal;
  readonly dest: Destination;
  readonly binding: Binding;
  readonly path: NormalizedPath;
}

/**
 * Checks one request against the agent's current bindings (invariant 2):
 * normalises the origin-form `target`, keeps the bindings for the
 * destination that have not expired, and selects the one allowing `method`
 * and the path. Throws `ERR_BAD_REQUEST` for a target that does not
 * normalise, `ERR_DESTINATION_DENIED` when no binding covers the destination
 * any more, `ERR_SCOPE_DENIED` when none allows the method and path. A
 * method-override header (`X-HTTP-Method-Override` and kin), which many
 * frameworks honour, must name a method the scope allows too.
 */
export function authorize(
  ctx: ProxyContext,
  trace: Trace,
  principal: AgentPrincipal,
  dest: Destination,
  method: string,
  target: string,
  headers: IncomingHttpHeaders = {},
): Authorized {
  const path = normalizePath(target);
  if (!path.ok) throw new AirlockError('ERR_BAD_REQUEST', path.reason);
  trace.path = path.path;
  trace.query = path.query;
  const all = ctx.deps.bindings(principal);
  const candidates = bindingsForDestination(
    all,
    dest.scheme,
    dest.host,
    dest.port,
    ctx.deps.clock.now(),
  );
  if (candidates.length === 0) {
    throw new AirlockError(
      'ERR_DESTINATION_DENIED',
      `no grant covers ${dest.scheme}://${dest.host}:${dest.port}`,
    );
  }
  const binding = selectBinding(candidates, method, path);
  if (binding === null || !overridesAllowed(candidates, headers, path)) {
    throw new AirlockError(
      'ERR_SCOPE_DENIED',
      `no grant allows this method and path on ${dest.scheme}://${dest.host}:${dest.port}`,
    );
  }
  trace.binding = binding;
  return { principal, dest, binding, path };
}

/** Headers by which a client asks the server to treat the request as another method. */
const METHOD_OVERRIDES = ['x-http-method-override', 'x-http-method', 'x-method-override'] as const;

/** True when every method-override header names a method some candidate allows on `path`. */
function overridesAllowed(
  candidates: readonly Binding[],
  headers: IncomingHttpHeaders,
  path: NormalizedPath,
): boolean {
  for (const name of METHOD_OVERRIDES) {
    const value = headers[name];
    if (value === undefined) continue;
    for (const m of (Array.isArray(value) ? value.join(',') : value).split(',')) {
      if (selectBinding(candidates, m.trim().toUpperCase(), path) === null) return false;
    }
  }
  return true;
}

/** The request head to send upstream: method, origin-form path and raw headers. */
export interface UpstreamHead {
  readonly path: string;
  readonly headers: string[];
}

/**
 * Fetches the secret and builds the upstream request head: hop-by-hop
 * headers dropped, placeholders in header values, path and query
 * substituted (or the request refused, `RequestPlaceholders`), every
 * agent-supplied credential removed and the real one injected
 * (`injectCredential`), the normalised path forwarded (what policy checked
 * is what the upstream serves). The secret value lives only in the returned
 * headers or path.
 */
export async function upstreamHead(
  ctx: ProxyContext,
  req: IncomingMessage,
  ok: Authorized,
  hostOverride: string | null,
  websocket: boolean,
  placeholders: RequestPlaceholders = new RequestPlaceholders(ctx, ok, req.method ?? 'GET'),
): Promise<UpstreamHead> {
  const entries: HeaderEntry[] = rewriteRequestHeaders(req.rawHeaders, {
    host: hostOverride,
    websocket,
  });
  // Placeholders first: one in the controlled header is then replaced by the injection.
  const sub = await placeholders.head(entries, ok.path.path, ok.path.query);
  const secret = await ctx.deps.secretValue(ok.principal.workspaceId, ok.binding.secretName);
  const injected = injectCredential(ok.binding.auth, secret, sub.headers, sub.query);
  const headers: string[] = [];
  for (const [name, value] of injected.headers) headers.push(name, value);
  const path = injected.query === '' ? sub.path : `${sub.path}?${injected.query}`;
  return { path, headers };
}
