import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AirlockError, type ErrorCode } from '../core/index.ts';
import { type Trace, traceDenied } from './context.ts';
import { sendError, writeRawError } from './errors.ts';
import { hasBody } from './forward.ts';

/** Refusals after which the connection is closed: the tunnel is no longer trusted, or the body is unread. */
const CLOSES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'ERR_AGENT_REVOKED',
  'ERR_TOKEN_REVOKED',
  'ERR_TOKEN_EXPIRED',
  'ERR_HOST_MISMATCH',
  'ERR_PAYLOAD_TOO_LARGE',
  'ERR_BAD_REQUEST',
]);

/**
 * The `AirlockError` to answer with. Anything else is a bug: it becomes
 * `ERR_INTERNAL` with a fixed message, so nothing from it reaches the agent.
 */
export function asAirlockError(err: unknown): AirlockError {
  if (err instanceof AirlockError) return err;
  return new AirlockError('ERR_INTERNAL', 'internal proxy error', { cause: err });
}

/**
 * Refuses a request the proxy will not forward: the JSON error with
 * `X-Airlock-Error`, one `airlock:proxy:denied` event, and the connection
 * closed when the tunnel is no longer trusted or the body was not read.
 */
export function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  trace: Trace,
  err: unknown,
): void {
  const e = asAirlockError(err);
  const close = CLOSES.has(e.code) || (hasBody(req) && !req.complete);
  const status = sendError(res, e, close);
  traceDenied(trace, e, status);
}

/** `refuse` for a request that has only a socket (`CONNECT`, upgrade): the error, then the socket ends. */
export function refuseRaw(socket: Duplex, trace: Trace | null, err: unknown): void {
  const e = asAirlockError(err);
  const status = writeRawError(socket, e);
  if (trace !== null) traceDenied(trace, e, status);
}

/**
 * Answers an HTTP parse failure (Node's `clientError`) with the proxy's own
 * JSON error: 431 `ERR_HEADERS_TOO_LARGE`, 408 `ERR_REQUEST_TIMEOUT`, 400
 * `ERR_BAD_REQUEST`. Transport errors (reset, failed TLS handshake) just
 * close the socket.
 */
export function onClientError(err: Error, socket: Duplex, trace: Trace | null): void {
  const code = 'code' in err && typeof err.code === 'string' ? err.code : '';
  let e: AirlockError | null = null;
  if (code === 'HPE_HEADER_OVERFLOW') {
    e = new AirlockError('ERR_HEADERS_TOO_LARGE', 'request headers are too large');
  } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    e = new AirlockError('ERR_REQUEST_TIMEOUT', 'request headers were not received in time');
  } else if (code.startsWith('HPE_')) {
    e = new AirlockError('ERR_BAD_REQUEST', 'malformed HTTP request');
  }
  // A response already under way on this socket cannot be followed by another.
  const busy = (socket as { _httpMessage?: unknown })._httpMessage != null;
  if (e === null || busy || !socket.writable) {
    socket.destroy();
    return;
  }
  refuseRaw(socket, trace, e);
}
