/**
 * Migration 3: the audit event chain and its signed anchors.
 *
 * `audit_events` is append-only in normal operation; rows leave only through
 * a prune, which removes a prefix and records a signed `base` anchor. The
 * `event` column is the exact canonical JSON that was hashed; the other
 * columns copy its fields so queries can use indexes. Every index leads with
 * the workspace, so no query crosses workspaces.
 */
export const AUDIT_SCHEMA = `
CREATE TABLE audit_events (
  seq          INTEGER PRIMARY KEY NOT NULL CHECK (seq >= 1),
  id           TEXT NOT NULL UNIQUE,
  time_ms      INTEGER NOT NULL,
  workspace_id TEXT NOT NULL,
  kind         TEXT NOT NULL,
  agent_id     TEXT,
  agent_name   TEXT,
  task_id      TEXT,
  service      TEXT,
  grant_id     TEXT,
  decision     TEXT CHECK (decision IS NULL OR decision IN ('allow', 'deny')),
  event        TEXT NOT NULL,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_workspace ON audit_events (workspace_id, seq);
CREATE INDEX audit_by_agent ON audit_events (workspace_id, agent_id, seq);
CREATE INDEX audit_by_agent_name ON audit_events (workspace_id, agent_name, seq);
CREATE INDEX audit_by_task ON audit_events (workspace_id, task_id, seq);
CREATE INDEX audit_by_service ON audit_events (workspace_id, service, seq);
CREATE INDEX audit_by_kind ON audit_events (workspace_id, kind, seq);
CREATE INDEX audit_by_decision ON audit_events (workspace_id, decision, seq);
CREATE INDEX audit_by_time ON audit_events (workspace_id, time_ms);

CREATE TABLE audit_anchors (
  kind      TEXT PRIMARY KEY NOT NULL CHECK (kind IN ('head', 'base')),
  seq       INTEGER NOT NULL CHECK (seq >= 0),
  hash      TEXT NOT NULL,
  time_ms   INTEGER NOT NULL,
  key_id    TEXT NOT NULL,
  signature TEXT NOT NULL
) STRICT;
`;

/**
 * Migration 6: the audit table keeps only the indexes that pay for
 * themselves. Every credential use commits a row before the request leaves,
 * and each secondary index is one more b-tree page written to the WAL and
 * synced per commit. Agent names, services, kinds and decisions take few
 * distinct values, so a query filtering on them walks `audit_by_workspace`
 * newest first and stops at its limit; ids, agents, tasks and time keep
 * theirs (docs/audit.md, "Indexes").
 */
export const AUDIT_LEAN_INDEXES = `
DROP INDEX audit_by_agent_name;
DROP INDEX audit_by_service;
DROP INDEX audit_by_kind;
DROP INDEX audit_by_decision;
`;
