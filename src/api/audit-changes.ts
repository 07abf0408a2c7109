import type { IncomingMessage } from 'node:http';
import {
  type AdminAuditKind,
  type AuditActor,
  type AuditAttribute,
  type AuditLog,
  type AuditTarget,
  adminEvent,
  authFailedEvent,
} from '../audit/index.ts';
import type { ErrorCode } from '../core/index.ts';
import { TOKEN_CHANGES } from './audit-tokens.ts';
import type { AdminPrincipal } from './auth.ts';
import type { Route } from './router.ts';

/** A successful change made through a route, as the API handler saw it. */
export interface RouteChange {
  readonly route: Route;
  readonly params: Readonly<Record<string, string>>;
  readonly principal: AdminPrincipal;
  readonly via: 'socket' | 'tcp';
  readonly status: number;
  readonly body: unknown;
}

type Json = Readonly<Record<string, unknown>>;

function obj(value: unknown, key: string): Json | null {
  if (typeof value !== 'object' || value === null) return null;
  const inner = (value as Json)[key];
  return typeof inner === 'object' && inner !== null && !Array.isArray(inner)
    ? (inner as Json)
    : null;
}

function text(value: Json | null, key: string): string | null {
  const v = value?.[key];
  return typeof v === 'string' ? v : null;
}

function attr(value: Json | null, key: string): AuditAttribute {
  const v = value?.[key];
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  if (Array.isArray(v) && v.every((s: unknown) => typeof s === 'string')) return v as string[];
  return null;
}

type Mapper = (c: RouteChange) => { kind: AdminAuditKind; target: AuditTarget };

function target(
  type: AuditTarget['type'],
  id: string | null,
  name: string | null,
  attributes: Record<string, AuditAttribute> = {},
): AuditTarget {
  return { type, id, name, attributes };
}

/**
 * What each admin route's success means for the audit trail, keyed by
 * `METHOD path-pattern`. Targets are read from the route's own response
 * view (names, ids, roles, versions), which never holds a value or key;
 * fields are picked one by one, so a key in the body is never copied.
 */
const CHANGES: ReadonlyMap<string, Mapper> = new Map<string, Mapper>([
  ['POST /v1/secrets', (c) => secret('secret.created', c, obj(c.body, 'secret'))],
  ['POST /v1/secrets/:name/rotate', (c) => secret('secret.rotated', c, obj(c.body, 'secret'))],
  ['DELETE /v1/secrets/:name', (c) => secret('secret.deleted', c, null)],
  [
    'POST /v1/services',
    (c) => {
      const s = obj(c.body, 'service');
      const t = target('service', text(s, 'id'), text(s, 'name'), {
        hosts: attr(s, 'hosts'),
        secret: attr(s, 'secret'),
      });
      return { kind: 'service.created', target: t };
    },
  ],
  [
    'DELETE /v1/services/:name',
    (c) => ({ kind: 'service.deleted', target: target('service', null, c.params.name ?? null) }),
  ],
  [
    'POST /v1/grants',
    (c) => {
      const g = obj(c.body, 'grant');
      const t = target('grant', text(g, 'id'), null, {
        agent: attr(g, 'agent'),
        service: attr(g, 'service'),
        methods: attr(g, 'methods'),
        paths: attr(g, 'paths'),
        expiresAt: attr(g, 'expiresAt'),
      });
      return { kind: 'grant.created', target: t };
    },
  ],
  [
    'DELETE /v1/grants/:id',
    (c) => ({ kind: 'grant.deleted', target: target('grant', c.params.id ?? null, null) }),
  ],
  ['POST /v1/agents', (c) => agent('agent.created', c)],
  ['POST /v1/agents/:name/rotate', (c) => agent('agent.rotated', c)],
  ['POST /v1/agents/:name/revoke', (c) => agent('agent.revoked', c)],
  ['DELETE /v1/agents/:name', (c) => agent('agent.deleted', c)],
  [
    'POST /v1/apikeys',
    (c) => {
      const k = obj(c.body, 'apikey');
      const t = target('apikey', text(k, 'id'), text(k, 'name'), { role: attr(k, 'role') });
      return { kind: 'apikey.created', target: t };
    },
  ],
  [
    'DELETE /v1/apikeys/:id',
    (c) => {
      const revoked =
        typeof c.body === 'object' && c.body !== null ? (c.body as Json).revoked : null;
      const id = typeof revoked === 'string' ? revoked : null;
      return { kind: 'apikey.revoked', target: target('apikey', id, null) };
    },
  ],
  [
    'POST /v1/ca/rotate',
    (c) => {
      const ca = obj(c.body, 'ca');
      return { kind: 'ca.rotated', target: target('ca', text(ca, 'fingerprint'), null) };
    },
  ],
  [
    'POST /v1/audit/prune',
    (c) => {
      const b = typeof c.body === 'object' && c.body !== null ? (c.body as Json) : null;
      const base = obj(c.body, 'base');
      const t = target('audit', null, null, {
        removed: attr(b, 'removed'),
        before: attr(b, 'before'),
        baseSeq: attr(base, 'seq'),
      });
      return { kind: 'audit.pruned', target: t };
    },
  ],
]);

function secret(kind: AdminAuditKind, c: RouteChange, meta: Json | null) {
  const name = text(meta, 'name') ?? c.params.name ?? null;
  return {
    kind,
    target: target('secret', null, name, { version: attr(meta, 'currentVersion') }),
  };
}

function agent(kind: AdminAuditKind, c: RouteChange) {
  const a = obj(c.body, 'agent');
  return { kind, target: target('agent', text(a, 'id'), text(a, 'name') ?? c.params.name ?? null) };
}

/** The admin principal as an audit actor. */
export function adminActor(p: AdminPrincipal): AuditActor {
  return {
    type: p.keyId === null ? 'owner' : 'apikey',
    id: p.keyId,
    name: null,
    role: p.role,
    tokenId: null,
    taskId: null,
  };
}

/**
 * Records a successful change made through the admin API, and resolves once
 * the record is durable. Task-token routes become `task.*` and `token.*`
 * events; routes without an entry of their own are recorded as
 * `admin.action` with their route pattern, so no change goes unrecorded. A
 * route that answers an error (4xx, 5xx) changed nothing and is not recorded.
 */
export async function recordChange(audit: AuditLog, c: RouteChange): Promise<void> {
  if (c.status < 200 || c.status >= 300) return;
  const pattern = `${c.route.method} ${c.route.path}`;
  const actor = adminActor(c.principal);
  const tokens = TOKEN_CHANGES.get(pattern);
  if (tokens !== undefined) {
    const events = tokens(audit.context, {
      workspace: c.principal.workspaceId,
      actor,
      body: c.body,
    });
    await Promise.all(events.map((e) => audit.append(e)));
    return;
  }
  const mapped = CHANGES.get(pattern)?.(c) ?? {
    kind: 'admin.action' as const,
    target: target('route', null, null),
  };
  await audit.append(
    adminEvent(audit.context, {
      ...mapped,
      workspace: c.principal.workspaceId,
      actor,
      route: pattern,
      via: c.via,
    }),
  );
}

/**
 * Records a refused admin API call: a key that did not authenticate
 * (`ERR_UNAUTHENTICATED`, no principal) or a role that may not act
 * (`ERR_FORBIDDEN`). The presented key is never recorded.
 */
export async function recordAuthFailure(
  audit: AuditLog,
  req: IncomingMessage,
  code: ErrorCode,
  principal: AdminPrincipal | null,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://airlock.invalid');
  await audit.append(
    authFailedEvent(audit.context, {
      surface: 'admin',
      code,
      remote: req.socket.remoteAddress ?? null,
      method: req.method ?? null,
      path: url.pathname,
      ...(principal === null
        ? {}
        : { actor: adminActor(principal), workspace: principal.workspaceId }),
    }),
  );
}
