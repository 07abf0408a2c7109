import type { AgentId, WorkspaceId } from '../core/index.ts';

/** A task: one unit of work an agent was given a token for, by `airlock task start`. */
export interface TaskRecord {
  readonly id: string;
  readonly workspaceId: WorkspaceId;
  /** The agent the task was started for (the root token's `sub`). */
  readonly agentId: AgentId;
  /** Who began it: the bottom of every `act` chain in the task (RFC 8693 §4.1). */
  readonly onBehalfOf: string;
  /** The root token's scope, as space-separated SPECs. */
  readonly scope: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}

/** One issued task token (root or delegated), by its `jti`. The token itself is never stored. */
export interface TokenRecord {
  readonly jti: string;
  readonly workspaceId: WorkspaceId;
  readonly taskId: string;
  /** The token's `sub`: the agent that holds it. */
  readonly agentId: AgentId;
  /** The token it was exchanged from (RFC 8693), or null for a task's root token. */
  readonly parentJti: string | null;
  /** 0 for a root token, parent's depth + 1 for a delegated one. */
  readonly depth: number;
  readonly scope: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}

/** What one revocation reached: a token and when it would have expired anyway. */
export interface RevokedToken {
  readonly jti: string;
  readonly expiresAt: number;
}

/** What to revoke: one token, every token of a task, or every token an agent holds. */
export type RevocationTarget =
  | { readonly kind: 'token'; readonly jti: string }
  | { readonly kind: 'task'; readonly taskId: string }
  | { readonly kind: 'agent'; readonly agentId: AgentId };

/**
 * Tasks and task tokens. Revoking a token reaches every token derived from
 * it, transitively (RFC 7009 §2.1 lets a revocation cover related tokens);
 * revoking a task or an agent reaches all of its tokens and theirs.
 */
export interface TokenStoreOps {
  createTask(rec: TaskRecord): Promise<void>;
  getTask(ws: WorkspaceId, id: string): Promise<TaskRecord | null>;
  createToken(rec: TokenRecord): Promise<void>;
  getToken(ws: WorkspaceId, jti: string): Promise<TokenRecord | null>;
  /**
   * Marks the target's unexpired tokens (at `at`) and all their descendants
   * revoked, keeping an earlier revocation time, and a task target's task
   * too. Returns every unexpired token the target reaches, revoked before or
   * now, so a caller can push the whole set into memory. A target that does
   * not exist in `ws` reaches nothing.
   */
  revokeTokens(ws: WorkspaceId, target: RevocationTarget, at: number): Promise<RevokedToken[]>;
  /** Every revoked token (all workspaces) that expires after `now`: the in-memory set at start-up. */
  listRevokedTokens(now: number): Promise<RevokedToken[]>;
  /** Deletes tokens and tasks that expired before `before`. Returns how many tokens went. */
  pruneTokens(before: number): Promise<number>;
}
