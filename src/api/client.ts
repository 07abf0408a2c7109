import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AirlockError, isErrorCode, redactUrlCredentials } from '../core/index.ts';

/** Where the CLI reaches the admin API. */
export type ApiTarget =
  | { readonly kind: 'socket'; readonly path: string }
  | { readonly kind: 'url'; readonly url: URL; readonly apiKey: string | null };

const RESPONSE_LIMIT = 8 * 1024 * 1024;

/**
 * A small typed client for the admin API. Error bodies come back as
 * `AirlockError` with the server's code, so the CLI prints one clear line.
 */
export class ApiClient {
  readonly #target: ApiTarget;

  constructor(target: ApiTarget) {
    this.#target = target;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  /** Sends one request and returns the parsed JSON body of a 2xx response. */
  request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = payload.length;
    }
    const target = this.#target;
    return new Promise<T>((resolve, reject) => {
      const onResponse = (res: import('node:http').IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > RESPONSE_LIMIT) res.destroy(new Error('response too large'));
          else chunks.push(c);
        });
        res.on('error', (err) => reject(unreachable(err, target)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch (cause) {
            reject(
              new AirlockError(
                'ERR_INTERNAL',
                `the server sent a non-JSON reply (${res.statusCode})`,
                { cause },
              ),
            );
            return;
          }
          const status = res.statusCode ?? 500;
          if (status >= 200 && status < 300) resolve(parsed as T);
          else reject(errorFromBody(parsed, status));
        });
      };
      const req =
        target.kind === 'socket'
          ? httpRequest({ socketPath: target.path, path, method, headers }, onResponse)
          : (target.url.protocol === 'https:' ? httpsRequest : httpRequest)(
              new URL(path.replace(/^\//, ''), withSlash(target.url)),
              {
                method,
                headers:
                  target.apiKey === null
                    ? headers
                    : { ...headers, authorization: `Bearer ${target.apiKey}` },
              },
              onResponse,
            );
      req.on('error', (err) => reject(unreachable(err, target)));
      req.end(payload);
    });
  }
}

function withSlash(url: URL): URL {
  const copy = new URL(url.href);
  if (!copy.pathname.endsWith('/')) copy.pathname += '/';
  return copy;
}

function errorFromBody(body: unknown, status: number): AirlockError {
  if (typeof body === 'object' && body !== null) {
    const error = (body as Record<string, unknown>).error;
    if (typeof error === 'object' && error !== null) {
      const { code, message } = error as Record<string, unknown>;
      if (isErrorCode(code) && typeof message === 'string') return new AirlockError(code, message);
    }
  }
  return new AirlockError('ERR_INTERNAL', `the server answered ${status}`);
}

function unreachable(err: unknown, target: ApiTarget): AirlockError {
  const where = target.kind === 'socket' ? target.path : redactUrlCredentials(target.url.href);
  return new AirlockError(
    'ERR_SERVER_UNREACHABLE',
    `cannot reach the Airlock server at ${where} (is \`airlock serve\` running?)`,
    { cause: err },
  );
}
