import type { IncomingMessage, ServerResponse } from 'node:http';
import { AirlockError } from '../core/index.ts';
import { proxyKey } from './auth.ts';
import { authRequired } from './connect.ts';
import { newTrace, type ProxyContext } from './context.ts';
import { refuse } from './refuse.ts';
import type { AgentPrincipal, InternalEndpoints } from './types.ts';

/** The reserved host of the agent-facing endpoints (DESIGN, "Processes and ports"). */
export const INTERNAL_HOST = 'airlock.internal';

const INTERNAL_URL = /^http:\/\/airlock\.internal(?::80)?(\/[^?#]*)?(?:\?[^#]*)?$/i;

/** True when an absolute-form request targets `http://airlock.internal` (port 80). */
export function isInternalRequest(req: IncomingMessage): boolean {
  return /^http:\/\/airlock\.internal(?::80)?(?:[/?]|$)/i.test(req.url ?? '');
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(payload)),
    'cache-control': 'no-store',
  });
  res.end(payload);
}

function notFound(): AirlockError {
  return new AirlockError('ERR_ROUTE_NOT_FOUND', 'no such endpoint on airlock.internal');
}

/** The principal the request's `Proxy-Authorization` names; 407 when none does. */
function principalOf(ctx: ProxyContext, req: IncomingMessage): AgentPrincipal {
  const key = proxyKey(req.headers['proxy-authorization']);
  const principal = key === null ? null : ctx.deps.authenticate(key);
  if (principal === null) throw authRequired();
  return principal;
}

const ROUTES: Readonly<Record<string, string>> = {
  '/.well-known/jwks.json': 'GET',
  '/oauth/token': 'POST',
  '/oauth/revoke': 'POST',
  '/v1/whoami': 'GET',
  '/v1/services': 'GET',
};

async function answer(
  ctx: ProxyContext,
  endpoints: InternalEndpoints,
  req: IncomingMessage,
  path: string,
  onPrincipal: (p: AgentPrincipal) => void,
): Promise<readonly [number, unknown]> {
  const method = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (method === undefined) throw notFound();
  if (req.method !== method) {
    throw new AirlockError('ERR_METHOD_NOT_ALLOWED', `${path} takes ${method}`);
  }
  if (path === '/.well-known/jwks.json') return [200, endpoints.jwks()];
  const principal = principalOf(ctx, req);
  onPrincipal(principal);
  switch (path) {
    case '/oauth/token':
      return endpoints.exchange(principal, await endpoints.readForm(req));
    case '/oauth/revoke':
      return endpoints.revoke(principal, await endpoints.readForm(req));
    case '/v1/whoami':
      return [200, await endpoints.whoami(principal)];
    default:
      return [200, await endpoints.services(principal)];
  }
}

/**
 * Serves the agent-facing endpoints at `http://airlock.internal` through
 * the proxy the agent already uses: the JWKS, RFC 8693 token exchange
 * (`POST /oauth/token`, authenticated by the key or token the request's
 * `Proxy-Authorization` carries), `GET /v1/whoami` and `GET /v1/services`.
 * Nothing here is forwarded anywhere, and no credential is injected.
 */
export async function onInternalRequest(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const trace = newTrace('http', INTERNAL_HOST, 80, req.method ?? '', null);
  try {
    const m = INTERNAL_URL.exec(req.url ?? '');
    const endpoints = ctx.deps.internal;
    if (m === null || endpoints === undefined) throw notFound();
    trace.path = m[1] ?? '/';
    const [status, body] = await answer(ctx, endpoints, req, trace.path, (p) => {
      trace.principal = p;
    });
    send(res, status, body);
  } catch (err) {
    refuse(req, res, trace, err);
  }
}
