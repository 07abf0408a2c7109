import type { IncomingMessage, ServerResponse } from 'node:http';
import { AirlockError, type ErrorCode, isAirlockError } from '../core/index.ts';

/** Largest admin API request body we read: secrets are at most 64 KiB, JSON-escaped. */
export const MAX_BODY_BYTES = 512 * 1024;

/** HTTP status for each error code the API can return. */
export function statusOf(code: ErrorCode): number {
  switch (code) {
    case 'ERR_UNAUTHENTICATED':
    case 'ERR_TOKEN_INVALID':
    case 'ERR_TOKEN_EXPIRED':
    case 'ERR_TOKEN_REVOKED':
      return 401;
    case 'ERR_FORBIDDEN':
    case 'ERR_SECRET_ON_ARGV':
    case 'ERR_SCOPE_EXCEEDS_GRANT':
    case 'ERR_SCOPE_EXCEEDS_PARENT':
      return 403;
    case 'ERR_NOT_FOUND':
    case 'ERR_ROUTE_NOT_FOUND':
      return 404;
    case 'ERR_METHOD_NOT_ALLOWED':
      return 405;
    case 'ERR_CONFLICT':
      return 409;
    case 'ERR_PAYLOAD_TOO_LARGE':
    case 'ERR_VALUE_TOO_LARGE':
      return 413;
    case 'ERR_UNSUPPORTED_MEDIA_TYPE':
      return 415;
    case 'ERR_BAD_REQUEST':
    case 'ERR_INVALID_NAME':
    case 'ERR_INVALID_ARGUMENT':
    case 'ERR_MALFORMED_JSON':
    case 'ERR_INVALID_SCOPE':
    case 'ERR_DELEGATION_TOO_DEEP':
    case 'ERR_UNSUPPORTED_GRANT_TYPE':
    case 'ERR_APPLY_INVALID':
    case 'ERR_PROVIDER_UNKNOWN':
      return 400;
    case 'ERR_AUDIT_UNAVAILABLE':
    case 'ERR_SECRET_UNAVAILABLE':
      return 503;
    default:
      return 500;
  }
}

/** Writes a JSON response with the headers every admin API response carries. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(payload);
}

/**
 * Turns any thrown value into `{ "error": { "code", "message" } }`. Only
 * `AirlockError` messages reach the client; anything else is an internal
 * error whose details stay on the server.
 */
export function sendError(res: ServerResponse, err: unknown): void {
  const e = isAirlockError(err) ? err : new AirlockError('ERR_INTERNAL', 'internal error');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, statusOf(e.code), { error: { code: e.code, message: e.message } });
}

/**
 * Reads a JSON object body: `application/json` only, at most `MAX_BODY_BYTES`
 * counted while streaming (never trusting Content-Length), parsed into
 * `unknown` for the route's own validation.
 */
export async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new AirlockError('ERR_UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  }
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (cause) {
    throw new AirlockError('ERR_MALFORMED_JSON', 'the body is not valid JSON', { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AirlockError('ERR_MALFORMED_JSON', 'the body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Like {@link readJsonBody}, for routes whose every field is optional: a
 * request with no body at all (no Content-Length or a zero one, and no
 * Transfer-Encoding) reads as `{}`.
 */
export async function readOptionalJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === '0')) return {};
  return readJsonBody(req);
}

function tooLarge(): AirlockError {
  return new AirlockError(
    'ERR_PAYLOAD_TOO_LARGE',
    `the body may be at most ${MAX_BODY_BYTES} bytes`,
  );
}
