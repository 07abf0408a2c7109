import { request } from 'node:http';
import { AirlockError, isErrorCode } from '../core/index.ts';

/** Most bytes read from an `airlock.internal` answer. */
const ANSWER_LIMIT = 1024 * 1024;

/** RFC 8693 §3 token type URIs and the §2.1 grant type. */
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';

/** The proxy a run's agent uses: where `airlock.internal` is reached. */
export interface ProxyAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses the `AIRLOCK_PROXY` a run sets (`http://host:port`). */
export function parseProxyAddress(text: string): ProxyAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', 'AIRLOCK_PROXY is not a URL', { cause });
  }
  const port = Number(url.port || '80');
  if (url.protocol !== 'http:' || !Number.isSafeInteger(port)) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', 'AIRLOCK_PROXY must be http://HOST:PORT');
  }
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port };
}

/**
 * Calls `http://airlock.internal{path}` through the proxy, authenticated by
 * `token` (`Proxy-Authorization: Bearer`), and returns the JSON answer. An
 * error answer becomes an `AirlockError` with the code Airlock put beside
 * the RFC 6749 error (or `ERR_TOKEN_INVALID`); its text is never echoed.
 */
function internal(
  proxy: ProxyAddress,
  token: string,
  method: 'GET' | 'POST',
  path: string,
  form?: URLSearchParams,
): Promise<Record<string, unknown>> {
  const body = form === undefined ? null : Buffer.from(form.toString());
  return new Promise((resolve, reject) => {
    const req = request({
      host: proxy.host,
      port: proxy.port,
      method,
      path: `http://airlock.internal${path}`,
      headers: {
        host: 'airlock.internal',
        'proxy-authorization': `Bearer ${token}`,
        accept: 'application/json',
        ...(body === null
          ? {}
          : {
              'content-type': 'application/x-www-form-urlencoded',
              'content-length': String(body.length),
            }),
      },
    });
    req.once('error', (cause) =>
      reject(
        new AirlockError('ERR_SERVER_UNREACHABLE', 'cannot reach the Airlock proxy', { cause }),
      ),
    );
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > ANSWER_LIMIT) res.destroy();
        else chunks.push(c);
      });
      res.once('error', (cause) =>
        reject(
          new AirlockError('ERR_SERVER_UNREACHABLE', 'the proxy closed the answer', { cause }),
        ),
      );
      res.once('end', () => {
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          // handled below as a bad answer
        }
        const ok = (res.statusCode ?? 500) < 300;
        if (ok && typeof parsed === 'object' && parsed !== null) {
          resolve(parsed as Record<string, unknown>);
          return;
        }
        reject(answerError(parsed, res.statusCode ?? 500));
      });
    });
    req.end(body ?? undefined);
  });
}

function answerError(body: unknown, status: number): AirlockError {
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const nested =
    typeof b.error === 'object' && b.error !== null ? (b.error as Record<string, unknown>) : {};
  const code = isErrorCode(b.code) ? b.code : isErrorCode(nested.code) ? nested.code : null;
  return new AirlockError(
    code ?? 'ERR_TOKEN_INVALID',
    `airlock.internal refused the request (${status})`,
  );
}

/** A narrower token for a nested run, and the variables of the services it may call. */
export interface NestedGrant {
  readonly token: string;
  /** The `--env` variables of the services the new token may call. */
  readonly variables: readonly string[];
}

/**
 * A nested `airlock run` (issue 5): exchanges the current run's token for
 * a narrower one through `airlock.internal` (RFC 8693 §2.1, the scope as
 * space-separated SPECs; the chain is recorded by the exchange), then asks
 * which services the new token may call, for their `--env` variables. A
 * wider scope is refused by the server, never clipped.
 */
export async function exchangeForNested(
  proxy: ProxyAddress,
  token: string,
  request: {
    readonly scope: readonly string[];
    readonly actor: string | null;
    readonly ttl: string | null;
  },
): Promise<NestedGrant> {
  const form = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE,
    subject_token: token,
    subject_token_type: JWT,
  });
  if (request.scope.length > 0) form.set('scope', request.scope.join(' '));
  if (request.actor !== null) form.set('actor', request.actor);
  if (request.ttl !== null) form.set('expires_in', request.ttl);
  const issued = await internal(proxy, token, 'POST', '/oauth/token', form);
  const next = issued.access_token;
  if (typeof next !== 'string' || next === '') {
    throw new AirlockError('ERR_TOKEN_INVALID', 'airlock.internal issued no token');
  }
  const listed = await internal(proxy, next, 'GET', '/v1/services');
  const services = Array.isArray(listed.services) ? listed.services : [];
  const variables: string[] = [];
  for (const s of services) {
    const env = typeof s === 'object' && s !== null ? (s as Record<string, unknown>).env : null;
    if (typeof env === 'string' && !variables.includes(env)) variables.push(env);
  }
  return { token: next, variables };
}

/**
 * Revokes a nested run's token when its command ends (RFC 7009 through
 * `airlock.internal/oauth/revoke`, authenticated by that token), so nothing
 * derived from it outlives the run.
 */
export async function revokeNested(proxy: ProxyAddress, token: string): Promise<void> {
  await internal(proxy, token, 'POST', '/oauth/revoke', new URLSearchParams({ token }));
}
