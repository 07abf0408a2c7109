import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { AirlockError } from '../core/index.ts';
import { type Authorized, authorize } from './authorize.ts';
import {
  newTrace,
  type ProxyContext,
  type Trace,
  type Tunnel,
  traceDenied,
  track,
} from './context.ts';
import { forward } from './forward.ts';
import { onClientError, refuse, refuseRaw } from './refuse.ts';
import type { ProxyLimits } from './types.ts';
import { forwardUpgrade, isWebSocketUpgrade } from './websocket.ts';

/**
 * Builds the internal HTTP/1.1 server that serves every intercepted TLS
 * socket (`emit('connection')`): keep-alive, the header size limit (431),
 * the headers timeout and the idle keep-alive timeout. It never listens.
 */
export function createInterceptServer(limits: ProxyLimits, getCtx: () => ProxyContext): Server {
  const server = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    // The whole-request timer would cut long uploads (git push); the
    // upstream inactivity timeout bounds a stalled body instead.
    requestTimeout: 0,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    shouldUpgradeCallback: isWebSocketUpgrade,
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void onRequest(getCtx(), req, res);
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void onUpgrade(getCtx(), req, socket, head);
  });
  server.on('clientError', (err: Error, socket: Duplex) => {
    const ctx = getCtx();
    const tunnel = ctx.tunnels.get(socket);
    const trace = tunnel
      ? newTrace('https', tunnel.dest.host, tunnel.dest.port, 'UNKNOWN', tunnel.principal)
      : null;
    onClientError(err, socket, trace);
  });
  // Node arms the headers-timeout checker when a server starts listening.
  // This one never listens (sockets are handed to it), so arm it here;
  // `close()` disarms it.
  server.emit('listening');
  return server;
}

/**
 * The largest TLS record sent to the agent, in plaintext bytes (OpenSSL's
 * default is 16 KiB). The record layer's write buffer is sized for one
 * record and its written pages stay resident while a tunnel idles: with
 * 4 KiB records an idle tunnel keeps about 2 KiB less (bench/ANALYSIS.md,
 * "Idle tunnels"), and the agent can decrypt the start of a stream sooner.
 * The price is a record header and tag per 4 KiB of a large body instead
 * of per 16 KiB, which the transfer benchmarks do not show.
 */
export const AGENT_TLS_RECORD_BYTES = 4096;

/**
 * Takes over a `CONNECT`ed socket for interception (DESIGN.md, request path
 * step 3): answers `200`, then acts as the TLS server with a leaf for the
 * `CONNECT` host. SNI must equal that host (invariant 8); a client that sends
 * no SNI is accepted only for an IP-literal host (RFC 6066 §3 forbids IP
 * literals in SNI). A mismatch closes the connection and is published as
 * `ERR_SNI_MISMATCH`.
 */
export async function intercept(
  ctx: ProxyContext,
  socket: Socket,
  head: Buffer,
  tunnel: Tunnel,
  trace: Trace,
): Promise<void> {
  const host = tunnel.dest.host;
  const context = await ctx.deps.leafContext(host);
  if (socket.destroyed) return;
  socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.length > 0) socket.unshift(head);
  const sniMismatch = (): void => {
    traceDenied(
      trace,
      new AirlockError('ERR_SNI_MISMATCH', 'TLS SNI does not match the CONNECT host'),
      null,
    );
  };
  const tls = new TLSSocket(socket, {
    isServer: true,
    secureContext: context,
    // HTTP/1.1 only for now: h2 interception is a later issue.
    ALPNProtocols: ['http/1.1'],
    SNICallback: (servername, cb) => {
      if (servername.toLowerCase() === host) return cb(null, context);
      sniMismatch();
      cb(new Error('SNI mismatch'));
    },
  });
  tls.setMaxSendFragment(AGENT_TLS_RECORD_BYTES);
  track(ctx, tls);
  tls.once('close', () => socket.destroy());
  ctx.tunnels.set(tls, tunnel);
  tls.once('secure', () => {
    if (!tls.servername && isIP(host) === 0) {
      sniMismatch();
      tls.destroy();
    }
  });
  ctx.inner.emit('connection', tls);
}

/** The request-target to authorise, once `Host` (and an absolute-form target) proved pinned. */
function pinnedTarget(tunnel: Tunnel, req: IncomingMessage): string {
  const raw = req.rawHeaders;
  let seen = false;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    if (name.length !== 4 || name.toLowerCase() !== 'host') continue;
    if (!pinned(tunnel, raw[i + 1] ?? '')) throw hostMismatch();
    seen = true;
  }
  if (!seen) throw hostMismatch();
  const url = req.url ?? '';
  if (url.startsWith('/')) return url;
  // Absolute-form inside a tunnel (RFC 9112 §3.2.2): its authority is pinned too.
  const m = /^https:\/\/([^/?#]*)(.*)$/i.exec(url);
  if (m === null || !pinned(tunnel, m[1] ?? '')) throw hostMismatch();
  const rest = m[2] ?? '';
  return rest === '' ? '/' : rest;
}

function pinned(tunnel: Tunnel, value: string): boolean {
  return tunnel.hostHeaders.includes(value) || tunnel.hostHeaders.includes(value.toLowerCase());
}

function hostMismatch(): AirlockError {
  return new AirlockError('ERR_HOST_MISMATCH', 'Host does not match the CONNECT host');
}

/**
 * The per-request checks inside a tunnel (DESIGN.md, request path step 4):
 * the key from `CONNECT` must still authenticate as the same agent
 * (invariant 4), `Host` must equal the `CONNECT` host (invariant 8), and
 * policy must allow the method and path (invariant 2). Either of the first
 * two failing also ends the tunnel.
 */
function checkTunnelRequest(
  ctx: ProxyContext,
  tunnel: Tunnel,
  socket: Duplex,
  req: IncomingMessage,
  trace: Trace,
): Authorized {
  const principal = ctx.deps.authenticate(tunnel.key);
  if (principal === null || principal.agentId !== tunnel.principal.agentId) {
    ctx.tunnels.delete(socket);
    throw new AirlockError('ERR_AGENT_REVOKED', 'the agent key is no longer valid');
  }
  trace.principal = principal;
  let target: string;
  try {
    target = pinnedTarget(tunnel, req);
  } catch (err) {
    ctx.tunnels.delete(socket);
    throw err;
  }
  return authorize(ctx, trace, principal, tunnel.dest, req.method ?? '', target, req.headers);
}

async function onRequest(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const socket = req.socket;
  const tunnel = ctx.tunnels.get(socket);
  if (tunnel === undefined) {
    // A tunnel that was ended (revoked, pin broken): nothing more is served on it.
    socket.destroy();
    return;
  }
  const trace = newTrace(
    'https',
    tunnel.dest.host,
    tunnel.dest.port,
    req.method ?? '',
    tunnel.principal,
  );
  try {
    const ok = checkTunnelRequest(ctx, tunnel, socket, req, trace);
    await forward(ctx, req, res, ok, trace, null);
  } catch (err) {
    refuse(req, res, trace, err);
  }
}

async function onUpgrade(
  ctx: ProxyContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  // The HTTP server hands the socket over without an error listener.
  socket.on('error', () => socket.destroy());
  const tunnel = ctx.tunnels.get(socket);
  if (tunnel === undefined) {
    socket.destroy();
    return;
  }
  const trace = newTrace(
    'https',
    tunnel.dest.host,
    tunnel.dest.port,
    req.method ?? '',
    tunnel.principal,
  );
  try {
    const ok = checkTunnelRequest(ctx, tunnel, socket, req, trace);
    await forwardUpgrade(ctx, req, socket, head, ok, trace, null);
  } catch (err) {
    refuseRaw(socket, trace, err);
  }
}
