import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AirlockError } from '../core/index.ts';
import type { Binding } from '../policy/index.ts';
import { eventTask, publishDenied, queryNames } from './events.ts';
import type { ResolvedProxyOptions } from './options.ts';
import type { ScrubCache } from './response-body.ts';
import type { AgentPrincipal, ProxyDeps } from './types.ts';
import type { Destination, UpstreamPool } from './upstream.ts';

/** An intercepted `CONNECT` tunnel: what every request inside it is pinned to. */
export interface Tunnel {
  /** The key presented at `CONNECT`; re-authenticated on every request (invariant 4). */
  readonly key: string;
  readonly principal: AgentPrincipal;
  readonly dest: Destination;
  /** `Host` values that match the pin: `host:port`, and bare `host` when the port is 443. */
  readonly hostHeaders: readonly string[];
}

/** Everything the proxy's handlers share; built once by `createProxy`. */
export interface ProxyContext {
  readonly deps: ProxyDeps;
  readonly options: ResolvedProxyOptions;
  readonly pool: UpstreamPool;
  /** Every open client and upstream socket, so `close()` can end them all. */
  readonly sockets: Set<Duplex>;
  /** Intercepted TLS sockets → their tunnel. */
  readonly tunnels: WeakMap<Duplex, Tunnel>;
  /** The internal HTTP/1.1 server that intercepted TLS sockets are handed to. */
  readonly inner: Server;
  /** The forms of each secret value the response scrubber looks for. */
  readonly scrub: ScrubCache;
}

/** Tracks `socket` until it closes. */
export function track(ctx: ProxyContext, socket: Duplex): void {
  ctx.sockets.add(socket);
  socket.once('close', () => ctx.sockets.delete(socket));
}

/**
 * What is known about one request, filled in as it is checked; the source
 * of its one audit event.
 */
export interface Trace {
  principal: AgentPrincipal | null;
  binding: Binding | null;
  readonly scheme: 'https' | 'http';
  host: string;
  port: number;
  readonly method: string;
  path: string | null;
  query: string;
  readonly started: number;
}

/** Starts a trace for a request (or `CONNECT`) received now. */
export function newTrace(
  scheme: 'https' | 'http',
  host: string,
  port: number,
  method: string,
  principal: AgentPrincipal | null,
): Trace {
  return {
    principal,
    binding: null,
    scheme,
    host,
    port,
    method,
    path: null,
    query: '',
    started: performance.now(),
  };
}

/** Publishes the refusal of `trace` with `err` (status null: connection closed without an answer). */
export function traceDenied(trace: Trace, err: AirlockError, status: number | null): void {
  publishDenied(() => ({
    agentId: trace.principal?.agentId ?? null,
    agentName: trace.principal?.agentName ?? null,
    workspaceId: trace.principal?.workspaceId ?? null,
    task: eventTask(trace.principal),
    service: trace.binding?.serviceName ?? null,
    secretName: trace.binding?.secretName ?? null,
    scheme: trace.scheme,
    host: trace.host,
    port: trace.port,
    method: trace.method,
    path: trace.path,
    queryNames: queryNames(trace.query),
    durationMs: performance.now() - trace.started,
    code: err.code,
    status,
  }));
}
