import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { type ErrorCode, isErrorCode } from '../core/index.ts';
import {
  type ProxyFacts,
  proxyCompletedEvent,
  proxyDeniedEvent,
  proxyExfiltrationEvent,
  proxyRequestEvent,
  proxyTunnelEvent,
} from './build.ts';
import { type ActClaim, chainFromAct } from './build-tokens.ts';
import type { AuditLog } from './log.ts';
import type { AuditEvent } from './schema.ts';

/** The `diagnostics_channel` names to follow (the proxy's `PROXY_CHANNELS`). */
export interface ProxyChannelNames {
  readonly request: string;
  readonly denied: string;
  readonly tunnel: string;
  /** Refused placeholders; optional so an older proxy without it still wires. */
  readonly exfiltration?: string;
}

/** Options for {@link subscribeProxyAudit}. */
export interface ProxySubscription {
  readonly channels: ProxyChannelNames;
  /**
   * Whether an event of this workspace belongs to this log. Channels are
   * process-wide: with several servers in one process (tests), each keeps
   * only its own workspaces' events. Events with no workspace (refused
   * before authentication) are kept.
   */
  readonly owns: (workspaceId: string) => boolean;
  /** Called when an event could not be recorded (never with the event's content). */
  readonly onError: (err: unknown) => void;
}

type Fields = Readonly<Record<string, unknown>>;

const str = (f: Fields, k: string): string | null =>
  typeof f[k] === 'string' ? (f[k] as string) : null;
const num = (f: Fields, k: string): number | null =>
  typeof f[k] === 'number' && Number.isFinite(f[k]) ? (f[k] as number) : null;
const code = (f: Fields, k: string): ErrorCode | null => (isErrorCode(f[k]) ? f[k] : null);

/**
 * The task a proxy event ran under, when the agent presented a task token:
 * `task: { taskId, jti, chain }` with the `act` chain most recent actor
 * first (as the proxy's `TaskContext` holds it), or flat `taskId`/`tokenId`.
 */
function taskOf(f: Fields): {
  taskId: string | null;
  tokenId: string | null;
  act: string[] | null;
} {
  const task = f.task;
  if (typeof task === 'object' && task !== null) {
    const t = task as Fields;
    const chain = Array.isArray(t.chain)
      ? t.chain.filter((s): s is string => typeof s === 'string')
      : null;
    return { taskId: str(t, 'taskId'), tokenId: str(t, 'jti'), act: chain };
  }
  return { taskId: str(f, 'taskId'), tokenId: str(f, 'tokenId'), act: null };
}

/**
 * Reads the common fields of a proxy request or refusal. Channel payloads
 * arrive as `unknown`; one without the fields every such event has is dropped.
 */
function factsOf(f: Fields): (ProxyFacts & { readonly raw: Fields }) | null {
  const scheme = f.scheme;
  const host = str(f, 'host');
  const port = num(f, 'port');
  const method = str(f, 'method');
  if (
    (scheme !== 'https' && scheme !== 'http') ||
    host === null ||
    port === null ||
    method === null
  ) {
    return null;
  }
  const task = taskOf(f);
  const agentId = str(f, 'agentId');
  const agentName = str(f, 'agentName');
  // The act chain names who delegated, most recent first; the holder comes last.
  const chain =
    task.act === null
      ? undefined
      : chainFromAct(
          task.act.reduceRight<ActClaim | null>(
            (inner, sub) => (inner === null ? { sub } : { sub, act: inner }),
            null,
          ),
          { id: agentId, name: agentName, tokenId: task.tokenId },
        );
  const names = Array.isArray(f.queryNames)
    ? f.queryNames.filter((n): n is string => typeof n === 'string')
    : [];
  return {
    raw: f,
    agentId,
    agentName,
    workspaceId: str(f, 'workspaceId'),
    service: str(f, 'service'),
    secretName: str(f, 'secretName'),
    scheme,
    host,
    port,
    method,
    path: str(f, 'path'),
    queryNames: names,
    grantId: str(f, 'grantId'),
    secretVersion: num(f, 'secretVersion'),
    tokenId: task.tokenId,
    taskId: task.taskId,
    ...(chain === undefined ? {} : { chain }),
  };
}

/** The audit event for a forwarded request; a `proxy.completed` when it was recorded before forwarding. */
function onRequest(log: AuditLog, facts: ProxyFacts & { readonly raw: Fields }): AuditEvent | null {
  const f = facts.raw;
  if (facts.service === null || facts.secretName === null) return null;
  const outcome = {
    status: num(f, 'status'),
    bytesIn: num(f, 'bytesIn') ?? 0,
    bytesOut: num(f, 'bytesOut') ?? 0,
    durationMs: num(f, 'durationMs') ?? 0,
    error: code(f, 'error'),
  };
  const auditId = str(f, 'auditId');
  const service = facts.service;
  if (auditId !== null)
    return proxyCompletedEvent(log.context, auditId, { ...facts, service }, outcome);
  return proxyRequestEvent(
    log.context,
    { ...facts, service, secretName: facts.secretName, upgrade: f.upgrade === true },
    outcome,
  );
}

/**
 * Records the proxy's `diagnostics_channel` events in `log`: each forwarded
 * request (`proxy.request`, or `proxy.completed` when its `proxy.request`
 * was already written before forwarding and the event carries its
 * `auditId`), each refusal (`proxy.denied`) and each blind tunnel
 * (`proxy.tunnel`). Returns the function that unsubscribes.
 *
 * Subscribers run inside the proxy's call: this one only builds the event
 * and hands it to the writer, and never throws back into the proxy.
 */
export function subscribeProxyAudit(log: AuditLog, opts: ProxySubscription): () => void {
  const record = (build: (f: Fields) => AuditEvent | null) => (message: unknown) => {
    try {
      if (typeof message !== 'object' || message === null) return;
      const f = message as Fields;
      const ws = str(f, 'workspaceId');
      if (ws !== null && !opts.owns(ws)) return;
      const event = build(f);
      // Nothing waits on these: they ride with the next before-forward commit.
      if (event !== null) log.append(event, { defer: true }).catch(opts.onError);
    } catch (err) {
      opts.onError(err);
    }
  };
  const withFacts =
    (build: (facts: ProxyFacts & { readonly raw: Fields }) => AuditEvent | null) => (f: Fields) => {
      const facts = factsOf(f);
      return facts === null ? null : build(facts);
    };
  const handlers: [string, (message: unknown) => void][] = [
    [opts.channels.request, record(withFacts((facts) => onRequest(log, facts)))],
    [
      opts.channels.denied,
      record(
        withFacts((facts) => {
          const c = code(facts.raw, 'code');
          if (c === null) return null;
          const durationMs = num(facts.raw, 'durationMs');
          return proxyDeniedEvent(log.context, {
            ...facts,
            code: c,
            status: num(facts.raw, 'status'),
            ...(durationMs === null ? {} : { durationMs }),
          });
        }),
      ),
    ],
    [
      opts.channels.tunnel,
      record((f) => {
        const agentId = str(f, 'agentId');
        const agentName = str(f, 'agentName');
        const workspaceId = str(f, 'workspaceId');
        const host = str(f, 'host');
        const port = num(f, 'port');
        if (agentId === null || agentName === null || workspaceId === null) return null;
        if (host === null || port === null) return null;
        return proxyTunnelEvent(log.context, {
          agentId,
          agentName,
          workspaceId,
          host,
          port,
          bytesIn: num(f, 'bytesIn') ?? 0,
          bytesOut: num(f, 'bytesOut') ?? 0,
          durationMs: num(f, 'durationMs') ?? 0,
        });
      }),
    ],
  ];
  const exfiltration = opts.channels.exfiltration;
  if (exfiltration !== undefined) {
    handlers.push([
      exfiltration,
      record((f) => {
        const facts = factsOf({ ...f, queryNames: [], service: null });
        if (facts === null) return null;
        return proxyExfiltrationEvent(log.context, {
          ...facts,
          site: str(f, 'site'),
          reason: str(f, 'reason') ?? 'unknown',
          placeholderTask: str(f, 'placeholderTaskId'),
        });
      }),
    ]);
  }
  for (const [name, handler] of handlers) subscribe(name, handler);
  return () => {
    for (const [name, handler] of handlers) unsubscribe(name, handler);
  };
}

/**
 * The proxy's `beforeForward` hook: records `proxy.request` for a request
 * about to be forwarded with its credential, and resolves with the event's
 * id once it is durable (group commit keeps that cheap). The request's
 * later `airlock:proxy:request` event carries that id, and
 * {@link subscribeProxyAudit} records its outcome as `proxy.completed`.
 * Rejects, so the proxy refuses the request, when the record cannot be
 * written.
 */
export async function recordBeforeForward(log: AuditLog, event: object): Promise<string> {
  const facts = factsOf(event as Fields);
  if (facts === null || facts.service === null || facts.secretName === null) {
    throw new TypeError('beforeForward needs a proxy request event');
  }
  const receipt = await log.append(
    proxyRequestEvent(
      log.context,
      {
        ...facts,
        service: facts.service,
        secretName: facts.secretName,
        upgrade: facts.raw.upgrade === true,
      },
      null,
    ),
  );
  return receipt.id;
}
