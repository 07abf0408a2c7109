import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AirlockError } from '../core/index.ts';
import { bindingsForDestination, formatAuthority, parseConnectTarget } from '../policy/index.ts';
import { proxyKey } from './auth.ts';
import { type Authorized, authorize } from './authorize.ts';
import { authRequired } from './connect.ts';
import { newTrace, type ProxyContext, type Trace } from './context.ts';
import { forward } from './forward.ts';
import { refuse, refuseRaw } from './refuse.ts';
import { checkDestination } from './ssrf.ts';
import { forwardUpgrade } from './websocket.ts';

const ABSOLUTE_HTTP = /^http:\/\/([^/?#]*)(.*)$/i;

/** Whether the authority (`host`, `host:port`, `[v6]`, `[v6]:port`) names a port. */
function hasPort(authority: string): boolean {
  const close = authority.lastIndexOf(']');
  return authority.indexOf(':', close + 1) >= 0;
}

/**
 * Checks an absolute-form plain-HTTP request (RFC 9112 §3.2.2): its
 * authority, the agent's `Proxy-Authorization`, that some http binding
 * covers the destination (else `ERR_DESTINATION_DENIED`), the SSRF guard,
 * then method and path. Returns the authorised request and the `Host` to
 * send, which the URI's authority decides.
 */
async function checkPlain(
  ctx: ProxyContext,
  req: IncomingMessage,
  trace: Trace,
): Promise<{ ok: Authorized; host: string }> {
  const m = ABSOLUTE_HTTP.exec(req.url ?? '');
  if (m === null) {
    throw new AirlockError(
      'ERR_BAD_REQUEST',
      'send absolute-form http:// requests, or CONNECT for https, to this proxy',
    );
  }
  const authority = m[1] ?? '';
  const target = parseConnectTarget(hasPort(authority) ? authority : `${authority}:80`);
  trace.host = target.host;
  trace.port = target.port;
  const key = proxyKey(req.headers['proxy-authorization']);
  const principal = key === null ? null : ctx.deps.authenticate(key);
  if (principal === null) throw authRequired();
  trace.principal = principal;
  const now = ctx.deps.clock.now();
  const bound = bindingsForDestination(
    ctx.deps.bindings(principal),
    'http',
    target.host,
    target.port,
    now,
  );
  if (bound.length === 0) {
    throw new AirlockError(
      'ERR_DESTINATION_DENIED',
      `no grant covers http://${formatAuthority(target.host, target.port)}`,
    );
  }
  const checked = await checkDestination(target.host, target.port, ctx.options);
  const dest = { scheme: 'http' as const, ...target, ...checked };
  const rest = m[2] ?? '';
  const originForm = rest === '' ? '/' : rest;
  const ok = authorize(ctx, trace, principal, dest, req.method ?? '', originForm, req.headers);
  const bare = target.host.includes(':') ? `[${target.host}]` : target.host;
  return { ok, host: target.port === 80 ? bare : formatAuthority(target.host, target.port) };
}

/** Serves an absolute-form plain-HTTP request through an http binding, with the credential injected. */
export async function onPlainRequest(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const trace = newTrace('http', '', 0, req.method ?? '', null);
  try {
    const { ok, host } = await checkPlain(ctx, req, trace);
    await forward(ctx, req, res, ok, trace, host);
  } catch (err) {
    refuse(req, res, trace, err);
  }
}

/** Serves an absolute-form plain-HTTP WebSocket handshake (`ws://`) through an http binding. */
export async function onPlainUpgrade(
  ctx: ProxyContext,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  socket.on('error', () => socket.destroy());
  const trace = newTrace('http', '', 0, req.method ?? '', null);
  try {
    const { ok, host } = await checkPlain(ctx, req, trace);
    await forwardUpgrade(ctx, req, socket, head, ok, trace, host);
  } catch (err) {
    refuseRaw(socket, trace, err);
  }
}
