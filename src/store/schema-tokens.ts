/**
 * Migration 2: tasks and the task tokens issued for them.
 *
 * Tokens are stored by `jti` only, never as text: a row says who holds the
 * token, which task and parent it came from, its scope and its lifetime, so
 * a revocation can reach every descendant (`parent_jti`) and the in-memory
 * revocation set can be rebuilt at start-up. Both tables reference agents by
 * `(workspace_id, id)`, so no task or token joins objects of two workspaces,
 * and deleting an agent deletes its tasks and tokens.
 */
export const TOKENS_SCHEMA = `
CREATE TABLE tasks (
  id           TEXT PRIMARY KEY NOT NULL,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  agent_id     TEXT NOT NULL,
  on_behalf_of TEXT NOT NULL,
  scope        TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL CHECK (expires_at > created_at),
  revoked_at   INTEGER,
  UNIQUE (workspace_id, id),
  FOREIGN KEY (workspace_id, agent_id) REFERENCES agents (workspace_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX tasks_by_agent ON tasks (workspace_id, agent_id);

CREATE TABLE tokens (
  jti          TEXT PRIMARY KEY NOT NULL,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  task_id      TEXT NOT NULL,
  agent_id     TEXT NOT NULL,
  parent_jti   TEXT REFERENCES tokens (jti) ON DELETE CASCADE,
  depth        INTEGER NOT NULL CHECK (depth >= 0),
  scope        TEXT NOT NULL,
  issued_at    INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL CHECK (expires_at > issued_at),
  revoked_at   INTEGER,
  CHECK ((parent_jti IS NULL) = (depth = 0)),
  FOREIGN KEY (workspace_id, task_id) REFERENCES tasks (workspace_id, id) ON DELETE CASCADE,
  FOREIGN KEY (workspace_id, agent_id) REFERENCES agents (workspace_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX tokens_by_task ON tokens (workspace_id, task_id);
CREATE INDEX tokens_by_agent ON tokens (workspace_id, agent_id);
CREATE INDEX tokens_by_parent ON tokens (parent_jti);
CREATE INDEX tokens_by_expiry ON tokens (expires_at);
`;
