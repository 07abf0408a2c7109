import {
  type AgentId,
  AirlockError,
  type ErrorCode,
  isAirlockError,
  type WorkspaceId,
} from '../core/index.ts';
import { formatScope } from '../policy/index.ts';
import type { VerifiedToken } from './claims.ts';
import type { TaskTokens } from './service.ts';
import { parseTtl } from './ttl.ts';
import type { IssuedToken, TokenAgent } from './types.ts';

/** RFC 8693 §2.1 `grant_type`. */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
/** RFC 8693 §3 token type of a JWT: what task tokens are. */
export const JWT_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:jwt';
/** Airlock's own token type for an `actor_token` that is an agent key (`alk_agent_…`). */
export const AGENT_KEY_TOKEN_TYPE = 'urn:airlock:params:oauth:token-type:agent-key';

/** Who the sub-agent is: proven by its own credential, or named. */
export type ActorRef =
  | { readonly kind: 'token'; readonly token: string; readonly type: string }
  | { readonly kind: 'name'; readonly name: string };

/** An RFC 8693 §2.1 request, parsed from its form fields. */
export interface ExchangeForm {
  readonly subjectToken: string;
  /** SPECs, from the space-separated `scope`; null when absent. */
  readonly scope: readonly string[] | null;
  readonly actor: ActorRef | null;
  /** `expires_in`: the lifetime asked for, in seconds (or a duration); cut to the parent's. */
  readonly ttlSeconds: number | null;
}

function one(form: URLSearchParams, name: string): string | null {
  const all = form.getAll(name);
  // RFC 6749 §3.2: "Request and response parameters MUST NOT be included more than once."
  if (all.length > 1) throw new AirlockError('ERR_BAD_REQUEST', `${name} is repeated`);
  const [value] = all;
  return value === undefined || value === '' ? null : value;
}

/**
 * Parses a token-exchange request (RFC 8693 §2.1): `grant_type` must be the
 * token-exchange URN, `subject_token` a task token of type `jwt`; `scope`
 * optional (space-separated SPECs); `actor_token` with `actor_token_type`
 * (`jwt` for the sub-agent's own task token, or the agent-key type), or
 * `actor` (a sub-agent name; Airlock's extension); `expires_in` optional.
 * `resource` and `audience` are refused: a task token has one audience.
 * Throws `ERR_BAD_REQUEST` (`invalid_request`), or
 * `ERR_UNSUPPORTED_GRANT_TYPE` for another grant type.
 */
export function parseExchangeForm(form: URLSearchParams): ExchangeForm {
  const grant = one(form, 'grant_type');
  if (grant !== TOKEN_EXCHANGE_GRANT) {
    throw new AirlockError(
      grant === null ? 'ERR_BAD_REQUEST' : 'ERR_UNSUPPORTED_GRANT_TYPE',
      grant === null ? 'grant_type is required' : 'only token exchange is supported here',
    );
  }
  const subjectToken = one(form, 'subject_token');
  if (subjectToken === null) throw new AirlockError('ERR_BAD_REQUEST', 'subject_token is required');
  if (one(form, 'subject_token_type') !== JWT_TOKEN_TYPE) {
    throw new AirlockError('ERR_BAD_REQUEST', `subject_token_type must be ${JWT_TOKEN_TYPE}`);
  }
  if (one(form, 'resource') !== null || one(form, 'audience') !== null) {
    throw new AirlockError('ERR_BAD_REQUEST', 'resource and audience are not supported');
  }
  const scopeText = one(form, 'scope');
  const actorToken = one(form, 'actor_token');
  const actorType = one(form, 'actor_token_type');
  const actorName = one(form, 'actor');
  let actor: ActorRef | null = null;
  if (actorToken !== null) {
    if (actorName !== null) throw new AirlockError('ERR_BAD_REQUEST', 'give actor_token or actor');
    if (actorType !== JWT_TOKEN_TYPE && actorType !== AGENT_KEY_TOKEN_TYPE) {
      throw new AirlockError('ERR_BAD_REQUEST', 'actor_token_type is missing or not supported');
    }
    actor = { kind: 'token', token: actorToken, type: actorType };
  } else if (actorType !== null) {
    throw new AirlockError('ERR_BAD_REQUEST', 'actor_token_type without actor_token');
  } else if (actorName !== null) {
    actor = { kind: 'name', name: actorName };
  }
  let ttlSeconds: number | null;
  try {
    ttlSeconds = parseTtl(one(form, 'expires_in'), 'expires_in');
  } catch (cause) {
    throw new AirlockError('ERR_BAD_REQUEST', 'expires_in must be a positive number of seconds', {
      cause,
    });
  }
  return {
    subjectToken,
    scope: scopeText === null ? null : scopeText.split(' ').filter((s) => s !== ''),
    actor,
    ttlSeconds,
  };
}

/** Where an exchange comes from, and how to find the agents it names. */
export interface ExchangeContext {
  /** The caller's workspace: the subject token must be of it. */
  readonly workspaceId: WorkspaceId;
  /**
   * Through the proxy: the agent the presented credential authenticates. It
   * must hold the subject token (its `sub`), so nobody exchanges a token
   * they merely saw. Null on the admin API, where the admin may act for any agent.
   */
  readonly caller: AgentId | null;
  /** The live agent with this id (the subject's holder); null when revoked or gone. */
  agentById(id: AgentId): Promise<TokenAgent | null>;
  /** Resolves an `actor`/`actor_token` to a live agent, or throws. */
  resolveActor(ref: ActorRef, subject: VerifiedToken): Promise<TokenAgent>;
}

/** Runs one RFC 8693 exchange from a parsed form. */
export async function exchangeToken(
  tokens: TaskTokens,
  form: ExchangeForm,
  ctx: ExchangeContext,
): Promise<IssuedToken> {
  const subject = tokens.verify(form.subjectToken, { workspaceId: ctx.workspaceId });
  if (ctx.caller !== null && ctx.caller !== subject.claims.sub) {
    throw new AirlockError('ERR_TOKEN_INVALID', 'the subject token belongs to another agent');
  }
  if ((await ctx.agentById(subject.claims.sub)) === null) {
    throw new AirlockError('ERR_TOKEN_REVOKED', 'the token has been revoked');
  }
  const actor = form.actor === null ? null : await ctx.resolveActor(form.actor, subject);
  return tokens.exchange(subject, { scope: form.scope, actor, ttlSeconds: form.ttlSeconds });
}

/** The RFC 8693 §2.2.1 success response. */
export function exchangeResponse(issued: IssuedToken): Record<string, unknown> {
  return {
    access_token: issued.token,
    issued_token_type: JWT_TOKEN_TYPE,
    token_type: 'Bearer',
    expires_in: issued.expiresIn,
    scope: formatScope(issued.scope),
  };
}

/** RFC 6749 §5.2 error codes for our codes. */
function oauthCode(code: ErrorCode): string {
  switch (code) {
    case 'ERR_TOKEN_INVALID':
    case 'ERR_TOKEN_EXPIRED':
    case 'ERR_TOKEN_REVOKED':
    case 'ERR_NOT_FOUND':
      return 'invalid_grant';
    case 'ERR_INVALID_SCOPE':
    case 'ERR_SCOPE_EXCEEDS_GRANT':
    case 'ERR_SCOPE_EXCEEDS_PARENT':
      return 'invalid_scope';
    case 'ERR_UNSUPPORTED_GRANT_TYPE':
      return 'unsupported_grant_type';
    case 'ERR_UNAUTHENTICATED':
    case 'ERR_PROXY_AUTH_REQUIRED':
      return 'invalid_client';
    default:
      return 'invalid_request';
  }
}

/**
 * An RFC 6749 §5.2 error response for a failed exchange: `error`,
 * `error_description`, and Airlock's stable `code` alongside. Status 400,
 * or 401 for client authentication; anything not an `AirlockError` is a
 * 500 that reveals nothing.
 */
export function oauthError(err: unknown): { status: number; body: Record<string, unknown> } {
  if (!isAirlockError(err)) {
    return {
      status: 500,
      body: { error: 'server_error', error_description: 'internal error', code: 'ERR_INTERNAL' },
    };
  }
  const error = oauthCode(err.code);
  return {
    status: error === 'invalid_client' ? 401 : 400,
    body: { error, error_description: err.message, code: err.code },
  };
}
