import type { Clock, ErrorCode } from '../core/index.ts';
import { scrubPath, scrubQueryNames, scrubText } from './guard.ts';
import type {
  AdminAuditEvent,
  AdminAuditKind,
  AuditActor,
  AuditAttribute,
  AuditDestination,
  AuditLink,
  AuditTarget,
  AuthFailedAuditEvent,
  ProxyCompletedAuditEvent,
  ProxyDeniedAuditEvent,
  ProxyExfiltrationAuditEvent,
  ProxyRequestAuditEvent,
  ProxyTunnelAuditEvent,
} from './schema.ts';

/** What every builder needs: this install, the workspace for instance-level events, and now. */
export interface AuditContext {
  readonly instance: string;
  readonly defaultWorkspace: string;
  readonly clock: Clock;
}

/**
 * What the proxy knows about a request. Structurally the fields of the
 * proxy's `airlock:proxy:*` events, so they pass straight in; the delegation
 * fields are filled once task tokens reach the proxy.
 */
export interface ProxyFacts {
  readonly agentId: string | null;
  readonly agentName: string | null;
  readonly workspaceId: string | null;
  readonly service: string | null;
  readonly secretName: string | null;
  readonly scheme: 'https' | 'http';
  readonly host: string;
  readonly port: number;
  readonly method: string;
  readonly path: string | null;
  readonly queryNames: readonly string[];
  readonly grantId?: string | null;
  readonly secretVersion?: number | null;
  readonly tokenId?: string | null;
  readonly taskId?: string | null;
  /** The delegation chain, originating user first; defaults to the agent alone. */
  readonly chain?: readonly AuditLink[];
}

/** A forwarded request's outcome (`airlock:proxy:request`). */
export interface ProxyOutcomeFacts {
  readonly status: number | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  readonly error: ErrorCode | null;
}

function base(
  ctx: AuditContext,
  workspace: string | null,
  actor: AuditActor,
  chain: readonly AuditLink[],
) {
  return {
    v: 1 as const,
    time: new Date(ctx.clock.now()).toISOString(),
    instance: ctx.instance,
    workspace: workspace ?? ctx.defaultWorkspace,
    actor,
    chain,
  };
}

function nameOrNull(text: string | null | undefined): string | null {
  return text === null || text === undefined ? null : scrubText(text);
}

// The proxy's builders, run for every proxied request, list members in
// canonical order (UTF-16 code units, RFC 8785 §3.2.3): `canonicalJson`
// then writes their events without copying them. Any order gives the same
// bytes; a test holds these to it (guard.test.ts).

function agentActor(f: ProxyFacts): AuditActor {
  return {
    id: f.agentId,
    name: nameOrNull(f.agentName),
    role: null,
    taskId: f.taskId ?? null,
    tokenId: f.tokenId ?? null,
    type: f.agentId === null ? 'anonymous' : 'agent',
  };
}

function agentChain(f: ProxyFacts): readonly AuditLink[] {
  if (f.chain !== undefined) {
    return f.chain.map((l) => ({ ...l, id: nameOrNull(l.id), name: nameOrNull(l.name) }));
  }
  if (f.agentId === null) return [];
  return [
    { id: f.agentId, name: nameOrNull(f.agentName), tokenId: f.tokenId ?? null, type: 'agent' },
  ];
}

function destination(f: ProxyFacts): AuditDestination {
  return {
    host: scrubText(f.host),
    method: scrubText(f.method).slice(0, 32),
    path: scrubPath(f.path),
    port: f.port,
    queryNames: scrubQueryNames(f.queryNames),
    scheme: f.scheme,
  };
}

function ms(value: number): number {
  return Math.max(0, Math.round(value * 1000) / 1000);
}

/**
 * `proxy.request`: a credential injected into a request. With `outcome`,
 * the record is complete; without, it is the record written (durably)
 * before forwarding, and `proxy.completed` follows.
 */
export function proxyRequestEvent(
  ctx: AuditContext,
  f: ProxyFacts & {
    readonly service: string;
    readonly secretName: string;
    readonly upgrade: boolean;
  },
  outcome: ProxyOutcomeFacts | null,
): ProxyRequestAuditEvent {
  const b = base(ctx, f.workspaceId, agentActor(f), agentChain(f));
  return {
    actor: b.actor,
    bytesIn: outcome?.bytesIn ?? null,
    bytesOut: outcome?.bytesOut ?? null,
    chain: b.chain,
    code: outcome?.error ?? null,
    decision: 'allow',
    destination: destination(f),
    durationMs: outcome === null ? null : ms(outcome.durationMs),
    grant: nameOrNull(f.grantId),
    instance: b.instance,
    kind: 'proxy.request',
    secret: { name: scrubText(f.secretName), version: f.secretVersion ?? null },
    service: scrubText(f.service),
    status: outcome?.status ?? null,
    time: b.time,
    upgrade: f.upgrade,
    v: b.v,
    workspace: b.workspace,
  };
}

/** `proxy.completed`: the outcome of the `proxy.request` with id `requestId`. */
export function proxyCompletedEvent(
  ctx: AuditContext,
  requestId: string,
  f: ProxyFacts & { readonly service: string },
  outcome: ProxyOutcomeFacts,
): ProxyCompletedAuditEvent {
  const b = base(ctx, f.workspaceId, agentActor(f), agentChain(f));
  return {
    actor: b.actor,
    bytesIn: outcome.bytesIn,
    bytesOut: outcome.bytesOut,
    chain: b.chain,
    code: outcome.error,
    decision: 'allow',
    durationMs: ms(outcome.durationMs),
    instance: b.instance,
    kind: 'proxy.completed',
    request: scrubText(requestId),
    service: scrubText(f.service),
    status: outcome.status,
    time: b.time,
    v: b.v,
    workspace: b.workspace,
  };
}

/** `proxy.denied`: a refusal, with the code the agent got. */
export function proxyDeniedEvent(
  ctx: AuditContext,
  f: ProxyFacts & {
    readonly code: ErrorCode;
    readonly status: number | null;
    readonly durationMs?: number;
  },
): ProxyDeniedAuditEvent {
  const b = base(ctx, f.workspaceId, agentActor(f), agentChain(f));
  return {
    actor: b.actor,
    chain: b.chain,
    code: f.code,
    decision: 'deny',
    destination: destination(f),
    durationMs: f.durationMs === undefined ? null : ms(f.durationMs),
    grant: nameOrNull(f.grantId),
    instance: b.instance,
    kind: 'proxy.denied',
    secret:
      f.secretName === null
        ? null
        : { name: scrubText(f.secretName), version: f.secretVersion ?? null },
    service: nameOrNull(f.service),
    status: f.status,
    time: b.time,
    v: b.v,
    workspace: b.workspace,
  };
}

/** `proxy.exfiltration_attempt`: a placeholder refused, and why (names only). */
export function proxyExfiltrationEvent(
  ctx: AuditContext,
  f: ProxyFacts & {
    readonly site: string | null;
    readonly reason: string;
    readonly placeholderTask: string | null;
  },
): ProxyExfiltrationAuditEvent {
  const site = f.site;
  return {
    ...base(ctx, f.workspaceId, agentActor(f), agentChain(f)),
    kind: 'proxy.exfiltration_attempt',
    decision: 'deny',
    destination: destination(f),
    secret:
      f.secretName === null
        ? null
        : { name: scrubText(f.secretName), version: f.secretVersion ?? null },
    location:
      site === 'header' || site === 'query' || site === 'path' || site === 'body' ? site : null,
    reason: scrubText(f.reason).slice(0, 32),
    placeholderTask: nameOrNull(f.placeholderTask),
  };
}

/** `proxy.tunnel`: a blind tunnel, recorded when it closes. */
export function proxyTunnelEvent(
  ctx: AuditContext,
  f: {
    readonly agentId: string;
    readonly agentName: string;
    readonly workspaceId: string;
    readonly host: string;
    readonly port: number;
    readonly bytesIn: number;
    readonly bytesOut: number;
    readonly durationMs: number;
  },
): ProxyTunnelAuditEvent {
  const facts: ProxyFacts = {
    ...f,
    service: null,
    secretName: null,
    scheme: 'https',
    method: 'CONNECT',
    path: null,
    queryNames: [],
  };
  return {
    ...base(ctx, f.workspaceId, agentActor(facts), agentChain(facts)),
    kind: 'proxy.tunnel',
    decision: 'allow',
    destination: destination(facts),
    bytesIn: f.bytesIn,
    bytesOut: f.bytesOut,
    durationMs: ms(f.durationMs),
  };
}

/** A change made through the admin API. */
export interface AdminChangeFacts {
  readonly kind: AdminAuditKind;
  readonly workspace: string;
  readonly actor: AuditActor;
  readonly target: AuditTarget;
  readonly route: string;
  readonly via: 'socket' | 'tcp';
}

function scrubAttribute(value: AuditAttribute): AuditAttribute {
  if (typeof value === 'string') return scrubText(value);
  if (Array.isArray(value)) return value.slice(0, 64).map((s: string) => scrubText(s));
  return value;
}

/** `secret.*`, `agent.*`, `grant.*` and the other admin kinds. */
export function adminEvent(ctx: AuditContext, f: AdminChangeFacts): AdminAuditEvent {
  const attributes: Record<string, AuditAttribute> = Object.create(null);
  for (const [k, v] of Object.entries(f.target.attributes)) attributes[k] = scrubAttribute(v);
  return {
    ...base(ctx, f.workspace, f.actor, []),
    kind: f.kind,
    decision: 'allow',
    target: {
      type: f.target.type,
      id: nameOrNull(f.target.id),
      name: nameOrNull(f.target.name),
      attributes: { ...attributes },
    },
    route: scrubText(f.route),
    via: f.via,
  };
}

/**
 * `auth.failed`: a credential that did not authenticate, or a principal
 * whose role does not allow the action. The credential itself is never
 * recorded.
 */
export function authFailedEvent(
  ctx: AuditContext,
  f: {
    readonly surface: 'admin' | 'proxy';
    readonly code: ErrorCode;
    readonly remote: string | null;
    readonly method: string | null;
    readonly path: string | null;
    /** Who was refused, when they did authenticate but lacked the role (`ERR_FORBIDDEN`). */
    readonly actor?: AuditActor;
    readonly workspace?: string;
  },
): AuthFailedAuditEvent {
  const actor: AuditActor = f.actor ?? {
    type: 'anonymous',
    id: null,
    name: null,
    role: null,
    tokenId: null,
    taskId: null,
  };
  return {
    ...base(ctx, f.workspace ?? null, actor, []),
    kind: 'auth.failed',
    decision: 'deny',
    surface: f.surface,
    code: f.code,
    remote: nameOrNull(f.remote),
    method: f.method === null ? null : scrubText(f.method).slice(0, 32),
    path: scrubPath(f.path),
  };
}
