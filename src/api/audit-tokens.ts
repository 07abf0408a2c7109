import {
  type ActClaim,
  type AuditActor,
  type AuditContext,
  type AuditEvent,
  type AuditLog,
  chainFromAct,
  taskEvent,
  tokenEvent,
} from '../audit/index.ts';
import type { WorkspaceId } from '../core/index.ts';

type Json = Readonly<Record<string, unknown>>;

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Json)[key] : undefined;
}

function text(value: unknown, key: string): string | null {
  const v = field(value, key);
  return typeof v === 'string' ? v : null;
}

function scopeList(value: unknown): string[] | null {
  if (typeof value === 'string') return value.split(' ').filter((s) => s !== '');
  if (Array.isArray(value) && value.every((s: unknown) => typeof s === 'string'))
    return value as string[];
  return null;
}

function expiry(seconds: unknown, now: number): string | null {
  return typeof seconds === 'number' && Number.isSafeInteger(seconds)
    ? new Date(now + seconds * 1000).toISOString()
    : null;
}

/** The claims of a token this API just issued, as far as the audit trail needs them. */
interface IssuedClaims {
  readonly sub: string;
  readonly jti: string;
  readonly task: string | null;
  readonly exp: number | null;
  readonly scope: string | null;
  readonly act: ActClaim | null;
  readonly parent: string | null;
}

function actOf(value: unknown, depth = 0): ActClaim | null {
  const sub = text(value, 'sub');
  if (sub === null || depth > 32) return null;
  const inner = field(value, 'act');
  const act = inner === undefined ? null : actOf(inner, depth + 1);
  return act === null ? { sub } : { sub, act };
}

/**
 * Reads the claims of a task token (a compact JWS) the route has just
 * issued: who holds it, its `jti`, task, expiry, scope and `act` chain.
 * The token was signed by this process a moment ago, so its payload is
 * read, not verified; the token itself is never recorded.
 */
function issuedClaims(token: unknown): IssuedClaims | null {
  if (typeof token !== 'string') return null;
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const sub = text(claims, 'sub');
  const jti = text(claims, 'jti');
  if (sub === null || jti === null) return null;
  const exp = field(claims, 'exp');
  const anc = field(claims, 'anc');
  const ancestors = Array.isArray(anc) ? anc.filter((a): a is string => typeof a === 'string') : [];
  return {
    sub,
    jti,
    task: text(claims, 'task'),
    exp: typeof exp === 'number' && Number.isSafeInteger(exp) ? exp : null,
    scope: text(claims, 'scope'),
    act: actOf(field(claims, 'act')),
    parent: ancestors.at(-1) ?? null,
  };
}

/** Who made the call, and where it is recorded. */
export interface TokenCallContext {
  readonly workspace: WorkspaceId;
  readonly actor: AuditActor;
  readonly body: unknown;
}

type TokenMapper = (ctx: AuditContext, c: TokenCallContext) => AuditEvent[];

/**
 * The task-token routes' successes as audit events, keyed by `METHOD
 * path-pattern`. The delegation chain comes from the issued token's `act`
 * claim (RFC 8693 §4.1), so an exchange names every level back to the user
 * who began the task. Only claims, names and times are recorded; the token
 * (`token`, `access_token`) never is.
 */
export const TOKEN_CHANGES: ReadonlyMap<string, TokenMapper> = new Map<string, TokenMapper>([
  [
    'POST /v1/tasks',
    (ctx, c) => {
      const task = field(c.body, 'task');
      const claims = issuedClaims(field(c.body, 'token'));
      const taskId = text(task, 'id') ?? claims?.task ?? 'unknown';
      const agent = text(task, 'agent');
      const jti = claims?.jti ?? text(c.body, 'jti');
      const user = text(task, 'onBehalfOf');
      const act = claims?.act ?? (user === null ? null : { sub: `user:${user}` });
      const chain = chainFromAct(act, { id: claims?.sub ?? null, name: agent, tokenId: jti });
      const common = { workspace: c.workspace, actor: { ...c.actor, taskId }, chain };
      return [
        taskEvent(ctx, 'task.started', { ...common, task: { id: taskId, name: null } }),
        tokenEvent(ctx, 'token.issued', {
          ...common,
          token: {
            id: jti,
            parent: null,
            agent,
            expiresAt: text(task, 'expiresAt'),
            scope: scopeList(field(task, 'scope')),
            cascade: null,
          },
        }),
      ];
    },
  ],
  [
    'POST /v1/oauth/token',
    (ctx, c) => {
      const claims = issuedClaims(field(c.body, 'access_token'));
      const holder = { id: claims?.sub ?? null, name: null, tokenId: claims?.jti ?? null };
      return [
        tokenEvent(ctx, 'token.exchanged', {
          workspace: c.workspace,
          actor: { ...c.actor, taskId: claims?.task ?? null },
          chain: claims === null ? [] : chainFromAct(claims.act, holder),
          token: {
            id: claims?.jti ?? null,
            parent: claims?.parent ?? null,
            agent: claims?.sub ?? null,
            expiresAt:
              claims?.exp == null
                ? expiry(field(c.body, 'expires_in'), ctx.clock.now())
                : new Date(claims.exp * 1000).toISOString(),
            scope: scopeList(claims?.scope ?? field(c.body, 'scope')),
            cascade: null,
          },
        }),
      ];
    },
  ],
  [
    'POST /v1/revocations',
    (ctx, c) => {
      const n = field(c.body, 'revoked');
      return [
        tokenEvent(ctx, 'token.revoked', {
          workspace: c.workspace,
          actor: c.actor,
          chain: [],
          token: {
            id: null,
            parent: null,
            agent: null,
            expiresAt: null,
            scope: null,
            cascade: typeof n === 'number' ? n : null,
          },
        }),
      ];
    },
  ],
]);

/** The agent that exchanged a token at `airlock.internal`, as the proxy authenticated it. */
export interface ExchangingAgent {
  readonly agentId: string;
  readonly agentName: string;
  readonly workspaceId: WorkspaceId;
  readonly task?: { readonly taskId: string; readonly jti: string };
}

/**
 * Records an RFC 8693 exchange an agent made at
 * `http://airlock.internal/oauth/token` as `token.exchanged`, exactly as the
 * admin route's, with the agent as the actor; resolves once it is durable,
 * so the new token is never handed out unrecorded (invariant 5).
 */
export async function recordAgentExchange(
  audit: AuditLog,
  agent: ExchangingAgent,
  body: unknown,
): Promise<void> {
  const map = TOKEN_CHANGES.get('POST /v1/oauth/token');
  if (map === undefined) return;
  const actor: AuditActor = {
    type: 'agent',
    id: agent.agentId,
    name: agent.agentName,
    role: null,
    tokenId: agent.task?.jti ?? null,
    taskId: agent.task?.taskId ?? null,
  };
  const events = map(audit.context, { workspace: agent.workspaceId, actor, body });
  await Promise.all(events.map((e) => audit.append(e)));
}
