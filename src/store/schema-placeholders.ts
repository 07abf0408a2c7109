/**
 * Migration 5: sealed placeholders (`airlock run`).
 *
 * A placeholder is kept by the SHA-256 of its text only, like agent keys:
 * the store can say what a presented placeholder stands for (which task,
 * which secret, until when) but cannot give one back. Rows reference their
 * task by `(workspace_id, id)`, so a placeholder never joins two
 * workspaces, and pruning or deleting a task deletes its placeholders. A
 * task has at most one placeholder per secret.
 */
export const PLACEHOLDERS_SCHEMA = `
CREATE TABLE placeholders (
  hash         TEXT PRIMARY KEY NOT NULL CHECK (length(hash) = 64),
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  task_id      TEXT NOT NULL,
  secret_name  TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL CHECK (expires_at > created_at),
  UNIQUE (workspace_id, task_id, secret_name),
  FOREIGN KEY (workspace_id, task_id) REFERENCES tasks (workspace_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX placeholders_by_expiry ON placeholders (expires_at);
`;
