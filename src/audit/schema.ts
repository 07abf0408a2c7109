import type { ErrorCode } from '../core/index.ts';

/**
 * The audit event schema, version 1. Every event is plain, serialisable
 * data discriminated by `kind`; `docs/audit.md` documents every field. An
 * event never holds a secret value, a token, a placeholder or a query value:
 * `guard.ts` refuses one that looks like it does.
 */
export const AUDIT_EVENT_VERSION = 1;

/** Who performed the action. */
export type AuditActorType = 'owner' | 'apikey' | 'agent' | 'anonymous' | 'system';

/** The principal that acted, with the token and task it acted under. */
export interface AuditActor {
  readonly type: AuditActorType;
  /** API key id (`key_…`) or agent id (`agt_…`); null for the local owner, anonymous and system. */
  readonly id: string | null;
  /** Agent name; null for other actor types. */
  readonly name: string | null;
  /** Admin role (`owner`, `admin`, `operator`, `auditor`) for admin principals, else null. */
  readonly role: string | null;
  /** Id (`jti`) of the task token presented, or null when none was. */
  readonly tokenId: string | null;
  /** Id of the task the action belongs to, or null. */
  readonly taskId: string | null;
}

/**
 * One link of the delegation chain. The chain runs from the user who began
 * the task, through the agent, to each sub-agent, ending with the actor:
 * RFC 8693 §4.1 nests `act` claims innermost-first, so the chain is that
 * nesting unrolled, oldest first.
 */
export interface AuditLink {
  readonly type: 'user' | 'owner' | 'apikey' | 'agent';
  /** `user:NAME` for users, `agt_…` for agents; null when only the name is known. */
  readonly id: string | null;
  readonly name: string | null;
  /** The token this link acted with, when it acted with one. */
  readonly tokenId: string | null;
}

/** Where a proxied request went. The path never carries a query; only query parameter names are kept. */
export interface AuditDestination {
  readonly scheme: 'https' | 'http';
  readonly host: string;
  readonly port: number;
  /** Request method, or `CONNECT` for a refusal at the tunnel. */
  readonly method: string;
  /** Normalised path without query or fragment, or null (`CONNECT`). */
  readonly path: string | null;
  /** Names of the query parameters, in order. Values are never recorded. */
  readonly queryNames: readonly string[];
}

/** The secret a credential came from: its name and version, never its value. */
export interface AuditSecretRef {
  readonly name: string;
  /** Version injected, when known. */
  readonly version: number | null;
}

/** `allow` when a credential was injected or a change made, `deny` when refused. */
export type AuditDecision = 'allow' | 'deny';

/** The fields every event carries. */
export interface AuditEventBase<K extends string> {
  /** Schema version: {@link AUDIT_EVENT_VERSION}. */
  readonly v: 1;
  readonly kind: K;
  /** When it happened: ISO-8601 UTC with milliseconds. */
  readonly time: string;
  /** The Airlock install that recorded it (`config.json` `instanceId`). */
  readonly instance: string;
  /** The workspace it belongs to. Instance-level events are recorded in the default workspace. */
  readonly workspace: string;
  readonly actor: AuditActor;
  /** The delegation chain, originating user first, the actor last. Empty for admin and anonymous actors. */
  readonly chain: readonly AuditLink[];
}

/**
 * A request forwarded with an injected credential. Written, and durable,
 * before the request leaves Airlock; then the outcome fields are null and a
 * `proxy.completed` event names this one. Written once with the outcome
 * when it is recorded after the fact.
 */
export interface ProxyRequestAuditEvent extends AuditEventBase<'proxy.request'> {
  readonly decision: 'allow';
  readonly destination: AuditDestination;
  readonly service: string;
  /** The grant whose binding allowed it, when known. */
  readonly grant: string | null;
  readonly secret: AuditSecretRef;
  readonly upgrade: boolean;
  /** Set when the exchange failed after the credential was injected. */
  readonly code: ErrorCode | null;
  /** Upstream response status, or null when none came (yet). */
  readonly status: number | null;
  /** Request body bytes sent upstream. */
  readonly bytesIn: number | null;
  /** Response body bytes relayed back. */
  readonly bytesOut: number | null;
  readonly durationMs: number | null;
}

/** The outcome of a `proxy.request` written before forwarding. */
export interface ProxyCompletedAuditEvent extends AuditEventBase<'proxy.completed'> {
  readonly decision: 'allow';
  /** Id of the `proxy.request` event this completes. */
  readonly request: string;
  readonly service: string;
  readonly code: ErrorCode | null;
  readonly status: number | null;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
}

/** A refusal: nothing was forwarded with a credential. */
export interface ProxyDeniedAuditEvent extends AuditEventBase<'proxy.denied'> {
  readonly decision: 'deny';
  readonly destination: AuditDestination;
  readonly service: string | null;
  readonly grant: string | null;
  readonly secret: AuditSecretRef | null;
  /** Why: the stable error code the agent got. */
  readonly code: ErrorCode;
  /** HTTP status Airlock answered with, or null when it closed the connection. */
  readonly status: number | null;
  readonly durationMs: number | null;
}

/**
 * A placeholder presented where it may not be used: for another task, after
 * its task ended, or toward a destination its secret is not bound to. The
 * refusal itself is the request's `proxy.denied` record; this event adds why.
 */
export interface ProxyExfiltrationAuditEvent extends AuditEventBase<'proxy.exfiltration_attempt'> {
  readonly decision: 'deny';
  readonly destination: AuditDestination;
  /** The secret the placeholder stands for, when known. */
  readonly secret: AuditSecretRef | null;
  /** Where the placeholder was found: `header`, `query`, `path` or `body`. */
  readonly location: 'header' | 'query' | 'path' | 'body' | null;
  /** Why it was refused: `unknown`, `expired`, `other-task`, `no-task` or `destination`. */
  readonly reason: string;
  /** The task that owns the placeholder, when known. */
  readonly placeholderTask: string | null;
}

/** A blind tunnel (no credential) that egress policy allowed, recorded when it closes. */
export interface ProxyTunnelAuditEvent extends AuditEventBase<'proxy.tunnel'> {
  readonly decision: 'allow';
  readonly destination: AuditDestination;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
}

/** A task token issued, exchanged for a narrower one (RFC 8693), or revoked (RFC 7009). */
export interface TokenAuditEvent
  extends AuditEventBase<'token.issued' | 'token.exchanged' | 'token.revoked'> {
  readonly token: {
    /** The token's `jti`, when one token is meant (not for a revocation by task or agent). */
    readonly id: string | null;
    /** The token it was exchanged from, for `token.exchanged`, when known. */
    readonly parent: string | null;
    /** The agent holding it (name). */
    readonly agent: string | null;
    readonly expiresAt: string | null;
    /** Scope SPECs (`service:METHODS:paths`), as `airlock task start --scope` takes them. */
    readonly scope: readonly string[] | null;
    /** How many tokens a revocation reached (the token and its descendants). */
    readonly cascade: number | null;
  };
}

/** A task began or ended. */
export interface TaskAuditEvent extends AuditEventBase<'task.started' | 'task.ended'> {
  readonly task: { readonly id: string; readonly name: string | null };
}

/** Kinds of change made through the admin API. */
export type AdminAuditKind =
  | 'secret.created'
  | 'secret.rotated'
  | 'secret.deleted'
  | 'service.created'
  | 'service.deleted'
  | 'grant.created'
  | 'grant.deleted'
  | 'agent.created'
  | 'agent.rotated'
  | 'agent.revoked'
  | 'agent.deleted'
  | 'apikey.created'
  | 'apikey.revoked'
  | 'ca.rotated'
  | 'audit.pruned'
  | 'admin.action';

/** A value an admin event's `target.attributes` may hold. */
export type AuditAttribute = string | number | boolean | null | readonly string[];

/** What an admin change touched. Names and ids only; never a value or key. */
export interface AuditTarget {
  readonly type: 'secret' | 'service' | 'grant' | 'agent' | 'apikey' | 'ca' | 'audit' | 'route';
  readonly id: string | null;
  readonly name: string | null;
  /** Extra facts (a grant's methods, a secret's new version). */
  readonly attributes: Readonly<Record<string, AuditAttribute>>;
}

/** A change made through the admin API; `admin.action` covers routes without their own kind. */
export interface AdminAuditEvent extends AuditEventBase<AdminAuditKind> {
  readonly decision: 'allow';
  readonly target: AuditTarget;
  /** The route pattern, e.g. `POST /v1/agents/:name/rotate`. */
  readonly route: string;
  /** Whether it came in on the local socket or over TCP. */
  readonly via: 'socket' | 'tcp';
}

/** Failed authentication at the admin API or the proxy. */
export interface AuthFailedAuditEvent extends AuditEventBase<'auth.failed'> {
  readonly decision: 'deny';
  readonly surface: 'admin' | 'proxy';
  readonly code: ErrorCode;
  /** Peer address, when known. */
  readonly remote: string | null;
  readonly method: string | null;
  /** Path requested, without query. */
  readonly path: string | null;
}

/** The writer found the stored chain's end disagreeing with its signed head at start. */
export interface AuditAnomalyEvent extends AuditEventBase<'audit.anomaly'> {
  readonly anomaly: 'head_missing' | 'head_invalid' | 'head_ahead' | 'head_behind' | 'head_forked';
  /** Last sequence number found in the table, and the one the signed head named. */
  readonly tableSeq: number;
  readonly headSeq: number | null;
}

/** Every audit event. */
export type AuditEvent =
  | ProxyRequestAuditEvent
  | ProxyCompletedAuditEvent
  | ProxyDeniedAuditEvent
  | ProxyExfiltrationAuditEvent
  | ProxyTunnelAuditEvent
  | TokenAuditEvent
  | TaskAuditEvent
  | AdminAuditEvent
  | AuthFailedAuditEvent
  | AuditAnomalyEvent;

/** Every kind, for validation and docs. */
export const AUDIT_KINDS: readonly AuditEvent['kind'][] = [
  'proxy.request',
  'proxy.completed',
  'proxy.denied',
  'proxy.exfiltration_attempt',
  'proxy.tunnel',
  'token.issued',
  'token.exchanged',
  'token.revoked',
  'task.started',
  'task.ended',
  'secret.created',
  'secret.rotated',
  'secret.deleted',
  'service.created',
  'service.deleted',
  'grant.created',
  'grant.deleted',
  'agent.created',
  'agent.rotated',
  'agent.revoked',
  'agent.deleted',
  'apikey.created',
  'apikey.revoked',
  'ca.rotated',
  'audit.pruned',
  'admin.action',
  'auth.failed',
  'audit.anomaly',
];

/** An event as stored: its place in the chain and the hashes that bind it there. */
export interface AuditRecord {
  /** Position in the chain, from 1, with no gaps. */
  readonly seq: number;
  /** `evt_…`: how reports name an event. */
  readonly id: string;
  /** `hash` of the event before it (or the checkpoint it follows, or 64 zeros). */
  readonly prevHash: string;
  /** SHA-256 (hex) of the canonical JSON of `{ event, id, prevHash, seq }`. */
  readonly hash: string;
  readonly event: AuditEvent;
}
