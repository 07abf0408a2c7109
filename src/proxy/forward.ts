import type { IncomingMessage, ServerResponse } from 'node:http';
import { AirlockError, type ErrorCode } from '../core/index.ts';
import { type Authorized, upstreamHead } from './authorize.ts';
import type { ProxyContext, Trace } from './context.ts';
import { sendError, upstreamError } from './errors.ts';
import { eventTask, publishRequest, queryNames } from './events.ts';
import { contentLength, rewriteResponseHeaders } from './headers.ts';
import { RequestPlaceholders } from './placeholders.ts';
import { frameHeaders, prepareBody } from './request-body.ts';
import { askForIdentity, type ScrubbedResponse, scrubResponse } from './response-body.ts';

/** True when the request carries a body to relay (a length above zero, or chunked). */
export function hasBody(req: IncomingMessage): boolean {
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) return true;
  const len = req.headers['content-length'];
  return len !== undefined && len !== '0';
}

/**
 * Refuses a request body whose declared length is over the limit before
 * anything is read or forwarded. The limit is enforced again while streaming,
 * since the declaration may be absent (chunked) or wrong.
 */
export function checkDeclaredLength(req: IncomingMessage, max: number): void {
  const declared = contentLength(req.headers['content-length']);
  if (declared !== null && declared > max) {
    throw new AirlockError('ERR_PAYLOAD_TOO_LARGE', `request body is larger than ${max} bytes`);
  }
}

/** The error for an upstream that went quiet for longer than `upstreamTimeoutMs`. */
export function timeoutError(ok: Authorized): AirlockError {
  return new AirlockError(
    'ERR_UPSTREAM_TIMEOUT',
    `upstream ${ok.dest.host}:${ok.dest.port} timed out`,
  );
}

/**
 * Forwards one authorised request with the credential injected and its
 * placeholders substituted, and streams the response back, scrubbed of
 * every secret the principal can use (`response-body.ts`). The request body
 * is held only until its placeholders are checked (at most
 * `SUBSTITUTION_WINDOW_BYTES`, `request-body.ts`); beyond that both
 * directions are piped with back-pressure. The body limits are counted
 * while streaming. Redirects and
 * every other status pass back untouched. Publishes exactly one
 * `airlock:proxy:request` event when the exchange ends.
 *
 * Throws (before anything is sent upstream) for an oversized declared body
 * or a secret that cannot be read or injected; the caller refuses the
 * request. After the upstream request starts, failures are answered here
 * (502/504 with the proxy's JSON error, or a reset once the response began).
 */
export async function forward(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  ok: Authorized,
  trace: Trace,
  hostOverride: string | null,
): Promise<void> {
  const limits = ctx.options.limits;
  checkDeclaredLength(req, limits.maxRequestBodyBytes);
  const method = req.method ?? 'GET';
  const placeholders = new RequestPlaceholders(ctx, ok, method);
  const head = await upstreamHead(ctx, req, ok, hostOverride, false, placeholders);
  const body = await prepareBody(req, hasBody(req), limits.maxRequestBodyBytes, placeholders);
  const rules = await ctx.scrub.rulesFor(ok.principal);
  const framed = frameHeaders(head.headers, body);
  const headers = rules.empty ? framed : askForIdentity(framed);
  const auditId = await recordBeforeForward(ctx, ok, method, trace, false);
  const upstream = ctx.pool.request(ok.dest, method, head.path, headers);

  let bytesIn = 0;
  let bytesOut = 0;
  let status: number | null = null;
  let done = false;
  const finish = (code: ErrorCode | null): void => {
    if (done) return;
    done = true;
    publishRequest(() => ({
      ...forwardedFields(ok, method, trace),
      status,
      bytesIn,
      bytesOut,
      error: code,
      upgrade: false,
      auditId,
    }));
  };
  const fail = (err: unknown): void => {
    if (done) return;
    const e = upstreamError(err, ok.dest.host, ok.dest.port);
    finish(e.code);
    upstream.destroy();
    // The request body may be unread: the connection cannot be reused.
    sendError(res, e, true);
  };

  upstream.on('timeout', () => upstream.destroy(timeoutError(ok)));
  upstream.on('error', fail);
  res.once('close', () => {
    if (!res.writableFinished) {
      finish(null);
      upstream.destroy();
    }
  });

  upstream.on('response', (ures) => {
    const code = ures.statusCode ?? 502;
    status = code;
    const declared = Number(ures.headers['content-length'] ?? 0);
    if (declared > limits.maxResponseBodyBytes) {
      ures.destroy();
      fail(tooLarge(limits.maxResponseBodyBytes));
      return;
    }
    let relay: ScrubbedResponse;
    try {
      relay = scrubResponse(
        ures,
        rewriteResponseHeaders(ures.rawHeaders, false),
        method,
        rules,
        limits.maxResponseBodyBytes,
        (err) => {
          res.destroy();
          finish(upstreamError(err, ok.dest.host, ok.dest.port).code);
        },
      );
    } catch (err) {
      ures.destroy();
      fail(err);
      return;
    }
    ures.on('data', (chunk: Buffer) => {
      bytesOut += chunk.length;
      if (bytesOut > limits.maxResponseBodyBytes)
        ures.destroy(tooLarge(limits.maxResponseBodyBytes));
    });
    // pipe, not pipeline: pipeline's AbortController costs a DOMException per request.
    // A body cut short before anything went to the agent (one scrubbed
    // whole) is answered with the proxy's error; after that, the agent's
    // connection is reset.
    ures.once('error', fail);
    res.once('finish', () => finish(null));
    if (relay.kind === 'whole') {
      const chunks: Buffer[] = [];
      ures.on('data', (chunk: Buffer) => chunks.push(chunk));
      ures.once('end', () => {
        const body = relay.scrub(
          chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks),
        );
        const headers = [...relay.headers, 'content-length', String(body.length)];
        // Head and body in one write: one TLS record for a small answer.
        res.writeHead(code, ures.statusMessage, headers);
        res.end(body);
      });
      return;
    }
    res.writeHead(code, ures.statusMessage, relay.headers);
    // Streams (SSE, chunked) reach the agent as soon as the upstream answers;
    // a sized body carries the head with its first bytes.
    if (ures.headers['content-length'] === undefined) res.flushHeaders();
    relay.body.pipe(res);
  });

  switch (body.kind) {
    case 'none':
      upstream.end();
      return;
    case 'whole':
      bytesIn = body.data.length;
      upstream.end(body.data);
      return;
    case 'stream':
      bytesIn = body.first.length;
      upstream.write(body.first);
      body.rest.on('data', (chunk: Buffer) => {
        bytesIn += chunk.length;
      });
      // Over the limit, or a refused placeholder after the first window.
      body.rest.once('error', (err: unknown) => {
        req.unpipe(body.rest);
        fail(err);
      });
      req.pipe(body.rest).pipe(upstream);
  }
}

function tooLarge(max: number): AirlockError {
  return new AirlockError(
    'ERR_UPSTREAM_RESPONSE_TOO_LARGE',
    `upstream response is larger than ${max} bytes`,
  );
}

/**
 * The fields every event about a forwarded request shares (the before-forward
 * record and the finished request, WebSocket upgrades included): who, which
 * task, which service and secret name, where, and how long so far.
 */
export function forwardedFields(ok: Authorized, method: string, trace: Trace) {
  return {
    agentId: ok.principal.agentId,
    agentName: ok.principal.agentName,
    workspaceId: ok.principal.workspaceId,
    task: eventTask(ok.principal),
    service: ok.binding.serviceName,
    secretName: ok.binding.secretName,
    scheme: ok.dest.scheme,
    host: ok.dest.host,
    port: ok.dest.port,
    method,
    path: ok.path.path,
    queryNames: queryNames(ok.path.query),
    durationMs: performance.now() - trace.started,
  };
}

/**
 * Awaits `deps.beforeForward` (when given) for a request about to be sent
 * upstream with its credential, and returns the audit id it gave. A
 * rejection propagates before anything was sent: the caller refuses.
 */
export async function recordBeforeForward(
  ctx: ProxyContext,
  ok: Authorized,
  method: string,
  trace: Trace,
  upgrade: boolean,
): Promise<string | null> {
  const hook = ctx.deps.beforeForward;
  if (hook === undefined) return null;
  return hook({
    ...forwardedFields(ok, method, trace),
    upgrade,
  });
}
