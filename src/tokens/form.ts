import type { IncomingMessage } from 'node:http';
import { AirlockError } from '../core/index.ts';

/** Largest form body read for the token and revocation endpoints. */
export const MAX_FORM_BYTES = 64 * 1024;

/**
 * Reads an `application/x-www-form-urlencoded` body (RFC 6749 §4.1.3 and
 * RFC 8693 §2.1 send their parameters this way), counting bytes while
 * streaming (never trusting Content-Length), at most `MAX_FORM_BYTES`.
 * Throws `ERR_UNSUPPORTED_MEDIA_TYPE` or `ERR_PAYLOAD_TOO_LARGE`.
 */
export async function readFormBody(req: IncomingMessage): Promise<URLSearchParams> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    throw new AirlockError(
      'ERR_UNSUPPORTED_MEDIA_TYPE',
      'send the body as application/x-www-form-urlencoded',
    );
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) {
      throw new AirlockError(
        'ERR_PAYLOAD_TOO_LARGE',
        `the body may be at most ${MAX_FORM_BYTES} bytes`,
      );
    }
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
