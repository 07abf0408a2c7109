import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { AirlockError } from '../core/index.ts';
import {
  bindingsForDestination,
  formatAuthority,
  matchHost,
  parseConnectTarget,
} from '../policy/index.ts';
import { proxyKey } from './auth.ts';
import { newTrace, type ProxyContext, type Tunnel } from './context.ts';
import { intercept } from './intercept.ts';
import { refuseRaw } from './refuse.ts';
import { checkDestination } from './ssrf.ts';
import { blindTunnel } from './tunnel.ts';
import type { AgentPrincipal } from './types.ts';
import type { Destination } from './upstream.ts';

/** How a `CONNECT` is served (DESIGN.md, request path step 2). */
type Decision = 'intercept' | 'tunnel' | 'deny';

/**
 * Intercept when some unexpired https binding of the agent covers
 * `host:port`; otherwise a blind tunnel if egress allows it; otherwise deny.
 */
function decide(
  ctx: ProxyContext,
  principal: AgentPrincipal,
  host: string,
  port: number,
): Decision {
  const bound = bindingsForDestination(
    ctx.deps.bindings(principal),
    'https',
    host,
    port,
    ctx.deps.clock.now(),
  );
  if (bound.length > 0) return 'intercept';
  if (ctx.options.egress === 'tunnel') return 'tunnel';
  if (ctx.options.egressAllow.some((p) => matchHost(p, host, port))) return 'tunnel';
  return 'deny';
}

/** The error for a missing or unknown proxy key; it never says which. */
export function authRequired(): AirlockError {
  return new AirlockError(
    'ERR_PROXY_AUTH_REQUIRED',
    'proxy authentication required: present your agent key',
  );
}

/** `Host` values pinned to `host:port`: the authority, and the bare host for port 443. */
function hostHeaders(host: string, port: number): string[] {
  const authority = formatAuthority(host, port);
  if (port !== 443) return [authority];
  return [authority, host.includes(':') ? `[${host}]` : host];
}

/**
 * Handles `CONNECT host:port` (RFC 9110 §9.3.6): parse the target
 * canonically, authenticate the agent (407 otherwise), decide, run the SSRF
 * guard on the destination, then intercept or blind-tunnel. Every refusal is
 * the proxy's JSON error on the socket and one `airlock:proxy:denied` event.
 */
export async function onConnect(
  ctx: ProxyContext,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): Promise<void> {
  // The HTTP server hands the socket over without an error listener.
  socket.on('error', () => socket.destroy());
  const trace = newTrace('https', '', 0, 'CONNECT', null);
  try {
    const target = parseConnectTarget(req.url ?? '');
    trace.host = target.host;
    trace.port = target.port;
    const key = proxyKey(req.headers['proxy-authorization']);
    const principal = key === null ? null : ctx.deps.authenticate(key);
    if (key === null || principal === null) throw authRequired();
    trace.principal = principal;
    const decision = decide(ctx, principal, target.host, target.port);
    if (decision === 'deny') {
      throw new AirlockError(
        'ERR_DESTINATION_DENIED',
        `no grant or egress rule covers ${formatAuthority(target.host, target.port)}`,
      );
    }
    const checked = await checkDestination(target.host, target.port, ctx.options);
    // The client gave up, or the proxy closed, while the name resolved.
    if (socket.destroyed) return;
    const dest: Destination = { scheme: 'https', ...target, ...checked };
    if (decision === 'tunnel') {
      blindTunnel(ctx, socket, head, dest, principal, trace);
      return;
    }
    const tunnel: Tunnel = {
      key,
      principal,
      dest,
      hostHeaders: hostHeaders(target.host, target.port),
    };
    await intercept(ctx, socket, head, tunnel, trace);
  } catch (err) {
    refuseRaw(socket, trace, err);
  }
}
