import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { AirlockError } from '../core/index.ts';
import { type BodyEncoding, bodyEncoding } from './encodings.ts';
import type { RequestPlaceholders } from './placeholders.ts';
import {
  type BodySegment,
  joinSegments,
  PlaceholderSplitter,
  placeholdersIn,
} from './substitute.ts';

/**
 * How much of a request body is read and substituted before anything is
 * sent upstream: 1 MiB. A body that ends within it (nearly every API call)
 * is forwarded whole with its `Content-Length` recomputed, so a refused
 * placeholder anywhere in it means nothing at all was forwarded. A longer
 * body (an upload, a `git push`) is forwarded re-chunked once this much has
 * passed the checks, and the rest streams; a refused placeholder after the
 * first MiB aborts the upstream request mid-body, so the upstream never
 * receives a complete request, and never the secret.
 */
export const SUBSTITUTION_WINDOW_BYTES = 1024 * 1024;

/** A request body made ready to forward. */
export type PreparedBody =
  /** No body: the request is ended at once. */
  | { readonly kind: 'none' }
  /** The whole body, substituted: sent with `Content-Length`. */
  | { readonly kind: 'whole'; readonly data: Buffer }
  /** The first window, substituted, then the rest through `rest`: sent chunked. */
  | { readonly kind: 'stream'; readonly first: Buffer; readonly rest: Transform };

/** The error for a body over the limit, as the proxy answers it (413). */
export function bodyTooLarge(max: number): AirlockError {
  return new AirlockError('ERR_PAYLOAD_TOO_LARGE', `request body is larger than ${max} bytes`);
}

interface Window {
  readonly chunks: Buffer[];
  readonly size: number;
  readonly ended: boolean;
}

/** Reads until the body ends or `window` bytes have come; refuses more than `max` in all. */
function readWindow(req: IncomingMessage, window: number, max: number): Promise<Window> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      chunks.push(chunk);
      if (size > max) {
        done();
        reject(bodyTooLarge(max));
      } else if (size >= window) {
        req.pause();
        done();
        resolve({ chunks, size, ended: false });
      }
    };
    const onEnd = (): void => {
      done();
      resolve({ chunks, size, ended: true });
    };
    const onError = (err: unknown): void => {
      done();
      reject(new AirlockError('ERR_BAD_REQUEST', 'the request body was cut off', { cause: err }));
    };
    const onClose = (): void => {
      if (req.complete) return;
      done();
      reject(new AirlockError('ERR_BAD_REQUEST', 'the request body was cut off'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Resolves the placeholders among `segments` (refusing on the first bad one) and joins them. */
async function substitute(
  segments: readonly BodySegment[],
  placeholders: RequestPlaceholders,
  encoding: BodyEncoding,
): Promise<Buffer> {
  const values = new Map<string, Buffer>();
  for (const p of placeholdersIn(segments))
    values.set(p, await placeholders.bodyValue(p, encoding));
  return joinSegments(segments, (p) => values.get(p) as Buffer);
}

/**
 * Reads the body of an authorised request and substitutes its placeholders
 * (values escaped for a JSON or form body, `encodings.ts`), up to
 * {@link SUBSTITUTION_WINDOW_BYTES} before anything is forwarded. Throws the
 * refusal (`ERR_PLACEHOLDER_DESTINATION`, `ERR_PAYLOAD_TOO_LARGE`) with
 * nothing sent; the caller answers it.
 */
export async function prepareBody(
  req: IncomingMessage,
  hasBody: boolean,
  maxBytes: number,
  placeholders: RequestPlaceholders,
): Promise<PreparedBody> {
  if (!hasBody) return { kind: 'none' };
  const encoding = bodyEncoding(req.headers['content-type']);
  const window = await readWindow(req, SUBSTITUTION_WINDOW_BYTES, maxBytes);
  const splitter = new PlaceholderSplitter();
  const head =
    window.chunks.length === 1 ? (window.chunks[0] as Buffer) : Buffer.concat(window.chunks);
  const segments = splitter.write(head);
  if (window.ended) {
    segments.push(...splitter.end());
    return { kind: 'whole', data: await substitute(segments, placeholders, encoding) };
  }
  const first = await substitute(segments, placeholders, encoding);
  let size = window.size;
  const rest = new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      size += chunk.length;
      if (size > maxBytes) return cb(bodyTooLarge(maxBytes));
      const segments = splitter.write(chunk);
      // Most chunks of a long body hold no placeholder: no promise and no
      // copy for them, each piece is passed on as it is.
      if (!segments.some((s) => s.kind === 'placeholder')) {
        for (const s of segments) if (s.kind === 'bytes') this.push(s.bytes);
        return cb();
      }
      substitute(segments, placeholders, encoding).then((out) => cb(null, out), cb);
    },
    flush(cb: TransformCallback) {
      substitute(splitter.end(), placeholders, encoding).then((out) => cb(null, out), cb);
    },
  });
  return { kind: 'stream', first, rest };
}

/**
 * The upstream request headers framed for `body`: a recomputed
 * `Content-Length` for a whole body, `Transfer-Encoding: chunked` for a
 * streamed one (RFC 9112 §6.1), unchanged for none. Any framing the agent
 * sent is dropped first: it described the body before substitution.
 */
export function frameHeaders(headers: readonly string[], body: PreparedBody): string[] {
  if (body.kind === 'none') return [...headers];
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = (headers[i] ?? '').toLowerCase();
    if (name === 'content-length' || name === 'transfer-encoding') continue;
    out.push(headers[i] ?? '', headers[i + 1] ?? '');
  }
  if (body.kind === 'whole') out.push('content-length', String(body.data.length));
  else out.push('transfer-encoding', 'chunked');
  return out;
}
