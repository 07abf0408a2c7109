import type { AgentId, WorkspaceId } from '../core/index.ts';
import { parseScope, type Scope } from '../policy/index.ts';
import { invalidToken } from './jws.ts';

/**
 * One link of an `act` chain (RFC 8693 §4.1): the actor's `sub`, and the
 * actor before it. The most recent actor is outermost; the innermost is the
 * user who began the task (`user:NAME`). Agents appear by id (`agt_…`).
 */
export interface Actor {
  readonly sub: string;
  readonly act?: Actor;
}

/**
 * The claims of a task token (RFC 7519 §4.1, RFC 8693 §4.1). Times are
 * NumericDate seconds. `anc` (private) lists the `jti` of every token this
 * one descends from, root first, so a revoked ancestor is seen without a
 * store read.
 */
export interface TaskClaims {
  readonly iss: string;
  /** The agent holding the token. */
  readonly sub: AgentId;
  readonly aud: string;
  readonly iat: number;
  readonly exp: number;
  readonly jti: string;
  readonly ws: WorkspaceId;
  readonly task: string;
  /** Space-separated scope SPECs, the form of the OAuth `scope` (RFC 8693 §4.2). */
  readonly scope: string;
  readonly act: Actor;
  readonly anc: readonly string[];
}

/** A verified token: its claims and its parsed scope. */
export interface VerifiedToken {
  readonly claims: TaskClaims;
  readonly scope: Scope;
}

const CLAIMS = new Set([
  'iss',
  'sub',
  'aud',
  'iat',
  'exp',
  'jti',
  'ws',
  'task',
  'scope',
  'act',
  'anc',
]);
const ID = /^[A-Za-z0-9_:.@+-]{1,200}$/;
/** Deepest `act` nesting accepted, whatever the configured delegation cap. */
export const MAX_ACT_DEPTH = 32;

function idText(v: unknown): string {
  if (typeof v !== 'string' || !ID.test(v)) throw invalidToken();
  return v;
}

function seconds(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0) throw invalidToken();
  return v;
}

function actor(v: unknown, depth: number): Actor {
  if (depth > MAX_ACT_DEPTH || typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw invalidToken();
  }
  const r = v as Record<string, unknown>;
  for (const k of Object.keys(r)) if (k !== 'sub' && k !== 'act') throw invalidToken();
  const sub = idText(r.sub);
  return r.act === undefined ? { sub } : { sub, act: actor(r.act, depth + 1) };
}

/** How many links an `act` chain has. */
export function actDepth(act: Actor): number {
  let n = 0;
  for (let a: Actor | undefined = act; a !== undefined; a = a.act) n++;
  return n;
}

/**
 * Checks a verified payload's shape: exactly the claims Airlock issues, each
 * of the right type, an `act` chain one link longer than `anc` (the user at
 * the bottom), and a scope that parses. Anything else is `ERR_TOKEN_INVALID`.
 * Time, issuer, audience and workspace are checked by the caller.
 */
export function parseClaims(payload: Record<string, unknown>): VerifiedToken {
  for (const k of Object.keys(payload)) if (!CLAIMS.has(k)) throw invalidToken();
  const anc = payload.anc;
  if (!Array.isArray(anc) || anc.length > MAX_ACT_DEPTH) throw invalidToken();
  if (typeof payload.scope !== 'string' || typeof payload.iss !== 'string') throw invalidToken();
  if (typeof payload.aud !== 'string') throw invalidToken();
  const claims: TaskClaims = {
    iss: payload.iss,
    sub: idText(payload.sub) as AgentId,
    aud: payload.aud,
    iat: seconds(payload.iat),
    exp: seconds(payload.exp),
    jti: idText(payload.jti),
    ws: idText(payload.ws) as WorkspaceId,
    task: idText(payload.task),
    scope: payload.scope,
    act: actor(payload.act, 1),
    anc: anc.map(idText),
  };
  if (actDepth(claims.act) !== claims.anc.length + 1) throw invalidToken();
  let scope: Scope;
  try {
    scope = parseScope(claims.scope);
  } catch (cause) {
    throw invalidToken(cause);
  }
  return { claims, scope };
}
