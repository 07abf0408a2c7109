import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AirlockError, ErrorCode } from '../core/index.ts';
import { type Authorized, upstreamHead } from './authorize.ts';
import { type ProxyContext, type Trace, track } from './context.ts';
import { upstreamError, writeRawError } from './errors.ts';
import { publishRequest } from './events.ts';
import { forwardedFields, recordBeforeForward, timeoutError } from './forward.ts';
import { rewriteResponseHeaders } from './headers.ts';
import { splice } from './splice.ts';

/**
 * True for a WebSocket opening handshake (RFC 6455 §4.1): `GET` with
 * `Upgrade: websocket`. Other upgrades (h2c and the like) are not relayed:
 * the request is forwarded as a plain request with `Upgrade` removed.
 */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return (
    req.method === 'GET' && typeof upgrade === 'string' && upgrade.toLowerCase() === 'websocket'
  );
}

function statusLine(status: number, message: string | undefined, raw: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${message ?? ''}\r\n`;
  for (let i = 0; i < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/**
 * Relays an authorised WebSocket handshake with the credential injected,
 * then splices the two upgraded connections so frames flow both ways with
 * back-pressure. Frames are not inspected. An upstream that refuses the
 * upgrade has its response relayed and the connection closed. Publishes one
 * `airlock:proxy:request` event (with `upgrade: true`) once the handshake
 * is answered.
 */
export async function forwardUpgrade(
  ctx: ProxyContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  ok: Authorized,
  trace: Trace,
  hostOverride: string | null,
): Promise<void> {
  const h = await upstreamHead(ctx, req, ok, hostOverride, true);
  const auditId = await recordBeforeForward(ctx, ok, 'GET', trace, true);
  const upstream = ctx.pool.request(ok.dest, 'GET', h.path, h.headers);
  let done = false;
  const finish = (status: number | null, code: ErrorCode | null): void => {
    if (done) return;
    done = true;
    publishRequest(() => ({
      ...forwardedFields(ok, 'GET', trace),
      status,
      bytesIn: head.length,
      bytesOut: 0,
      error: code,
      upgrade: true,
      auditId,
    }));
  };
  const onClientClose = (): void => {
    finish(null, null);
    upstream.destroy();
  };
  socket.once('close', onClientClose);

  upstream.on('timeout', () => upstream.destroy(timeoutError(ok)));
  upstream.on('error', (err: unknown) => {
    const e: AirlockError = upstreamError(err, ok.dest.host, ok.dest.port);
    finish(null, e.code);
    writeRawError(socket, e);
  });
  upstream.on('upgrade', (ures, usocket: Duplex, uhead: Buffer) => {
    socket.off('close', onClientClose);
    track(ctx, usocket);
    // Handshake done: the splice has no timeout of its own beyond the idle one.
    upstream.setTimeout(0);
    finish(ures.statusCode ?? 101, null);
    socket.write(
      statusLine(101, ures.statusMessage, rewriteResponseHeaders(ures.rawHeaders, true)),
    );
    if (uhead.length > 0) socket.write(uhead);
    if (head.length > 0) usocket.write(head);
    splice(socket, usocket, ctx.options.limits.idleTimeoutMs);
  });
  upstream.on('response', (ures) => {
    // The upstream refused the upgrade: relay its answer, then close.
    finish(ures.statusCode ?? 502, null);
    const headers = rewriteResponseHeaders(ures.rawHeaders, false);
    headers.push('Connection', 'close');
    socket.write(statusLine(ures.statusCode ?? 502, ures.statusMessage, headers));
    ures.pipe(socket);
  });
  upstream.end();
}
