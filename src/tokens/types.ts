import type { AgentId, Clock, WorkspaceId } from '../core/index.ts';
import type { Binding, Scope } from '../policy/index.ts';
import type { Store } from '../store/index.ts';
import type { TaskClaims } from './claims.ts';

/** Limits on task tokens. Every field has a safe default in `DEFAULT_TOKEN_POLICY`. */
export interface TokenPolicy {
  /** Longest a token may live; longer requests are cut to this. Also a retired key's grace. */
  readonly maxTtlSeconds: number;
  /** Lifetime of a task token when none is asked for. */
  readonly defaultTtlSeconds: number;
  /** Most delegations below a task's root token (RFC 8693 chains). */
  readonly maxDepth: number;
}

/** 24 h cap, 15 min default, 8 delegations: the defaults. */
export const DEFAULT_TOKEN_POLICY: TokenPolicy = {
  maxTtlSeconds: 24 * 3600,
  defaultTtlSeconds: 15 * 60,
  maxDepth: 8,
};

/** What `TaskTokens.open` is built from. */
export interface TaskTokensDeps {
  readonly store: Store;
  readonly clock: Clock;
  /** Seals the signing keys in the store's meta table. */
  readonly instanceKey: Uint8Array;
  readonly policy?: Partial<TokenPolicy>;
}

/** An agent as issuance needs it: who, and what its grants allow now. */
export interface TokenAgent {
  readonly id: AgentId;
  readonly name: string;
  readonly bindings: readonly Binding[];
}

/** A freshly signed token and what it says. */
export interface IssuedToken {
  readonly token: string;
  readonly claims: TaskClaims;
  readonly scope: Scope;
  /** Seconds from now until `exp` (RFC 8693 §2.2.1 `expires_in`). */
  readonly expiresIn: number;
}

/** `airlock task start`: who, for whom, what, and for how long. */
export interface StartTaskRequest {
  readonly workspaceId: WorkspaceId;
  readonly agent: TokenAgent;
  /** SPECs; null for all of the agent's grants. */
  readonly scope: readonly string[] | null;
  readonly ttlSeconds: number | null;
  /** The user the task is for: the bottom of every `act` chain. */
  readonly onBehalfOf: string;
}

/** What an RFC 8693 exchange asks for, beyond its verified subject token. */
export interface ExchangeRequest {
  /** SPECs; null keeps the subject token's scope. */
  readonly scope: readonly string[] | null;
  /** The sub-agent the new token is for; null for the subject token's own agent. */
  readonly actor: TokenAgent | null;
  readonly ttlSeconds: number | null;
}
