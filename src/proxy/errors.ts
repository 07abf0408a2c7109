import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AirlockError, type ErrorCode, redactUrlCredentials } from '../core/index.ts';

/** The status each proxy-made error is answered with. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  ERR_BAD_REQUEST: 400,
  ERR_PROXY_AUTH_REQUIRED: 407,
  ERR_TOKEN_REVOKED: 401,
  ERR_TOKEN_EXPIRED: 401,
  ERR_ROUTE_NOT_FOUND: 404,
  ERR_METHOD_NOT_ALLOWED: 405,
  ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ERR_AGENT_REVOKED: 403,
  ERR_DESTINATION_DENIED: 403,
  ERR_SCOPE_DENIED: 403,
  ERR_PLACEHOLDER_DESTINATION: 403,
  ERR_UPSTREAM_ENCODING: 502,
  ERR_PRIVATE_ADDRESS: 403,
  ERR_HOST_MISMATCH: 421,
  ERR_PAYLOAD_TOO_LARGE: 413,
  ERR_HEADERS_TOO_LARGE: 431,
  ERR_REQUEST_TIMEOUT: 408,
  ERR_UPSTREAM_UNREACHABLE: 502,
  ERR_UPSTREAM_TLS: 502,
  ERR_AUDIT_UNAVAILABLE: 503,
  ERR_UPSTREAM_RESPONSE_TOO_LARGE: 502,
  ERR_UPSTREAM_TIMEOUT: 504,
  ERR_SECRET_UNAVAILABLE: 503,
};

const REASON: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  421: 'Misdirected Request',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** HTTP status for an error code the proxy answers with (500 for anything unexpected). */
export function statusFor(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/** `{ "error": { "code", "message" } }`, with URL credentials stripped from the message. */
function errorBody(code: ErrorCode, message: string): string {
  return JSON.stringify({ error: { code, message: redactUrlCredentials(message) } });
}

/** Challenges sent with every 407 (RFC 9110 §11.7.1). */
const PROXY_CHALLENGE = ['Basic realm="airlock"', 'Bearer realm="airlock"'];

/**
 * Answers `res` with the proxy's own error: the status for `code`, a JSON body
 * and `X-Airlock-Error: CODE`. `close` ends the connection after the response
 * (a tunnel that broke its pin, a revoked agent, a body we stopped reading).
 */
export function sendError(res: ServerResponse, err: AirlockError, close: boolean): number {
  const status = statusFor(err.code);
  if (res.headersSent) {
    res.destroy();
    return status;
  }
  const body = errorBody(err.code, err.message);
  const headers: Record<string, string | string[]> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'x-airlock-error': err.code,
    'cache-control': 'no-store',
  };
  if (err.code === 'ERR_PROXY_AUTH_REQUIRED') headers['proxy-authenticate'] = PROXY_CHALLENGE;
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
  return status;
}

/**
 * Writes the proxy's error as a raw HTTP/1.1 response on a socket that has no
 * `ServerResponse` (a `CONNECT` or upgrade request, a parse error), then ends it.
 */
export function writeRawError(socket: Duplex, err: AirlockError): number {
  const status = statusFor(err.code);
  if (!socket.writable) {
    socket.destroy();
    return status;
  }
  const body = errorBody(err.code, err.message);
  let head = `HTTP/1.1 ${status} ${REASON[status] ?? 'Error'}\r\n`;
  head += 'Content-Type: application/json; charset=utf-8\r\n';
  head += `Content-Length: ${Buffer.byteLength(body)}\r\n`;
  head += `X-Airlock-Error: ${err.code}\r\n`;
  head += 'Cache-Control: no-store\r\n';
  if (err.code === 'ERR_PROXY_AUTH_REQUIRED') {
    for (const c of PROXY_CHALLENGE) head += `Proxy-Authenticate: ${c}\r\n`;
  }
  head += 'Connection: close\r\n\r\n';
  socket.end(head + body);
  return status;
}

/** Node's `errno`-style code of an error, if it has one. */
function errnoCode(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') {
    return err.code;
  }
  return '';
}

const TLS_CODE = /^(?:ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|SELF_SIGNED|DEPTH_ZERO|HOSTNAME_MISMATCH)/;

/**
 * Maps a failure of the upstream connection or exchange to the proxy's error.
 * Messages name the destination and the failure kind only: nothing from the
 * request (which carried the credential) is echoed back.
 */
export function upstreamError(err: unknown, host: string, port: number): AirlockError {
  if (err instanceof AirlockError) return err;
  const code = errnoCode(err);
  const where = `${host}:${port}`;
  if (code === 'ETIMEDOUT') {
    return new AirlockError('ERR_UPSTREAM_TIMEOUT', `upstream ${where} timed out`, { cause: err });
  }
  if (
    TLS_CODE.test(code) ||
    (err instanceof Error && /certificate|SSL routines/i.test(err.message))
  ) {
    return new AirlockError(
      'ERR_UPSTREAM_TLS',
      `upstream ${where} failed TLS (${code || 'TLS error'})`,
      {
        cause: err,
      },
    );
  }
  return new AirlockError(
    'ERR_UPSTREAM_UNREACHABLE',
    `upstream ${where} is unreachable (${code || 'connection failed'})`,
    {
      cause: err,
    },
  );
}
