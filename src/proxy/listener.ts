import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { listenUnix } from '../listen.ts';
import { onConnect } from './connect.ts';
import { newTrace, type ProxyContext, type Tunnel, track } from './context.ts';
import { createInterceptServer } from './intercept.ts';
import { isInternalRequest, onInternalRequest } from './internal.ts';
import { resolveProxyOptions } from './options.ts';
import { onPlainRequest, onPlainUpgrade } from './plain-http.ts';
import { onClientError } from './refuse.ts';
import { ScrubCache } from './response-body.ts';
import type { ProxyDeps, ProxyServer } from './types.ts';
import { createUpstreamPool } from './upstream.ts';
import { isWebSocketUpgrade } from './websocket.ts';

/**
 * Creates the credential-injecting proxy (DESIGN.md, "The request path").
 *
 * The listener takes `CONNECT host:port` (intercepted TLS where a binding of
 * the agent covers the destination, a blind tunnel where egress allows,
 * otherwise 403) and absolute-form plain-HTTP requests to http bindings.
 * Agents authenticate with `Proxy-Authorization` (Basic with the key as the
 * password, or Bearer). Every error the proxy makes itself is a JSON body
 * `{ "error": { "code", "message" } }` with `X-Airlock-Error: CODE`.
 *
 * Events go to `diagnostics_channel` (`PROXY_CHANNELS`); no event, error or
 * log ever holds a secret value or an agent key.
 */
export function createProxy(deps: ProxyDeps): ProxyServer {
  const options = resolveProxyOptions(deps.options);
  const limits = options.limits;
  const ctx: ProxyContext = {
    deps,
    options,
    pool: createUpstreamPool(options),
    sockets: new Set(),
    tunnels: new WeakMap<Duplex, Tunnel>(),
    inner: createInterceptServer(limits, () => ctx),
    scrub: new ScrubCache(deps),
  };
  const front = createServer({
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: 0,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
    shouldUpgradeCallback: isWebSocketUpgrade,
  });
  front.on('connection', (socket: Socket) => track(ctx, socket));
  front.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (socket instanceof Socket) void onConnect(ctx, req, socket, head);
    else socket.destroy();
  });
  front.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (isInternalRequest(req)) void onInternalRequest(ctx, req, res);
    else void onPlainRequest(ctx, req, res);
  });
  front.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void onPlainUpgrade(ctx, req, socket, head);
  });
  front.on('clientError', (err: Error, socket: Duplex) => {
    // Nothing is known yet about who sent it or where to.
    onClientError(err, socket, newTrace('http', '', 0, 'UNKNOWN', null));
  });

  // The Unix socket hands its connections to the same HTTP server as TCP.
  let unix: Server | null = null;
  let closing: Promise<void> | null = null;
  return {
    async listenUnix(path) {
      unix ??= createNetServer((socket) => front.emit('connection', socket));
      await listenUnix(unix, path);
    },
    listen(host, port) {
      return new Promise((resolve, reject) => {
        front.once('error', reject);
        front.listen(port, host, () => {
          front.off('error', reject);
          const addr = front.address() as AddressInfo;
          resolve({ host: addr.address, port: addr.port });
        });
      });
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        front.close(() => resolve());
        unix?.close();
        ctx.inner.close();
        for (const socket of ctx.sockets) socket.destroy();
        ctx.sockets.clear();
        ctx.pool.destroy();
        if (!front.listening) resolve();
      });
      return closing;
    },
  };
}
