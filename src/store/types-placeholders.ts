import type { WorkspaceId } from '../core/index.ts';

/** A sealed placeholder as the store keeps it: by hash, never as text. */
export interface PlaceholderRecord {
  /** Lower-case hex SHA-256 of the placeholder text. */
  readonly hash: string;
  readonly workspaceId: WorkspaceId;
  /** The task that owns it. */
  readonly taskId: string;
  /** The secret it stands for (a stored secret or a reference). */
  readonly secretName: string;
  readonly createdAt: number;
  /** The task's expiry: the placeholder is refused from then on. */
  readonly expiresAt: number;
}

/** Sealed placeholders (migration 5). */
export interface PlaceholderStoreOps {
  /**
   * Adds a task's placeholders, all or none. `ERR_NOT_FOUND` when the task
   * is not in the workspace; `ERR_CONFLICT` when the task already has one
   * for a secret.
   */
  createPlaceholders(recs: readonly PlaceholderRecord[]): Promise<void>;
  /** Every placeholder (all workspaces) that expires after `now`: the proxy's table at start-up. */
  listPlaceholders(now: number): Promise<PlaceholderRecord[]>;
  /** A task's placeholders. */
  listTaskPlaceholders(ws: WorkspaceId, taskId: string): Promise<PlaceholderRecord[]>;
}
