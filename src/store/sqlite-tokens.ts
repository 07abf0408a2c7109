import type { AgentId, WorkspaceId } from '../core/index.ts';
import { int, intOrNull, type Row, text } from './rows.ts';
import type { SqliteConn } from './sqlite-conn.ts';
import type {
  RevocationTarget,
  RevokedToken,
  TaskRecord,
  TokenRecord,
  TokenStoreOps,
} from './types-tokens.ts';

function toTask(row: Row): TaskRecord {
  return {
    id: text(row, 'id'),
    workspaceId: text(row, 'workspace_id') as WorkspaceId,
    agentId: text(row, 'agent_id') as AgentId,
    onBehalfOf: text(row, 'on_behalf_of'),
    scope: text(row, 'scope'),
    createdAt: int(row, 'created_at'),
    expiresAt: int(row, 'expires_at'),
    revokedAt: intOrNull(row, 'revoked_at'),
  };
}

function toToken(row: Row): TokenRecord {
  return {
    jti: text(row, 'jti'),
    workspaceId: text(row, 'workspace_id') as WorkspaceId,
    taskId: text(row, 'task_id'),
    agentId: text(row, 'agent_id') as AgentId,
    parentJti: row.parent_jti === null ? null : text(row, 'parent_jti'),
    depth: int(row, 'depth'),
    scope: text(row, 'scope'),
    issuedAt: int(row, 'issued_at'),
    expiresAt: int(row, 'expires_at'),
    revokedAt: intOrNull(row, 'revoked_at'),
  };
}

function toRevoked(row: Row): RevokedToken {
  return { jti: text(row, 'jti'), expiresAt: int(row, 'expires_at') };
}

// One recursive statement per target kind: the seed differs, the walk down
// `parent_jti` does not. Bound parameters: ?1 workspace, ?2 target, ?3 time.
const REACH = (seed: string) => `
WITH RECURSIVE reached (jti) AS (
  SELECT jti FROM tokens WHERE workspace_id = ?1 AND ${seed} AND expires_at > ?3
  UNION
  SELECT t.jti FROM tokens t JOIN reached r ON t.parent_jti = r.jti
)
UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?3)
WHERE workspace_id = ?1 AND expires_at > ?3 AND jti IN (SELECT jti FROM reached)
RETURNING jti, expires_at`;
const REACH_TOKEN = REACH('jti = ?2');
const REACH_TASK = REACH('task_id = ?2');
const REACH_AGENT = REACH('agent_id = ?2');

/**
 * Task and token operations on one SQLite connection, unlocked:
 * `openSqliteStore` serialises callers. Every query filters by workspace
 * except the start-up load of revoked ids and the expiry prune, which are
 * instance-wide by nature.
 */
export function sqliteTokenOps(conn: SqliteConn): TokenStoreOps {
  return {
    async createTask(rec) {
      conn.run(
        'task',
        `INSERT INTO tasks
           (id, workspace_id, agent_id, on_behalf_of, scope, created_at, expires_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        rec.id,
        rec.workspaceId,
        rec.agentId,
        rec.onBehalfOf,
        rec.scope,
        rec.createdAt,
        rec.expiresAt,
        rec.revokedAt,
      );
    },
    async getTask(ws, id) {
      const row = conn.one('task', 'SELECT * FROM tasks WHERE workspace_id = ? AND id = ?', ws, id);
      return row === undefined ? null : toTask(row);
    },
    async createToken(rec) {
      conn.run(
        'token',
        `INSERT INTO tokens (jti, workspace_id, task_id, agent_id, parent_jti, depth, scope,
           issued_at, expires_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        rec.jti,
        rec.workspaceId,
        rec.taskId,
        rec.agentId,
        rec.parentJti,
        rec.depth,
        rec.scope,
        rec.issuedAt,
        rec.expiresAt,
        rec.revokedAt,
      );
    },
    async getToken(ws, jti) {
      const row = conn.one(
        'token',
        'SELECT * FROM tokens WHERE workspace_id = ? AND jti = ?',
        ws,
        jti,
      );
      return row === undefined ? null : toToken(row);
    },
    async revokeTokens(ws: WorkspaceId, target: RevocationTarget, at: number) {
      return conn.atomic('token revocation', () => {
        switch (target.kind) {
          case 'token':
            return conn.many('token', REACH_TOKEN, ws, target.jti, at).map(toRevoked);
          case 'task':
            conn.run(
              'task',
              `UPDATE tasks SET revoked_at = COALESCE(revoked_at, ?)
               WHERE workspace_id = ? AND id = ?`,
              at,
              ws,
              target.taskId,
            );
            return conn.many('token', REACH_TASK, ws, target.taskId, at).map(toRevoked);
          case 'agent':
            return conn.many('token', REACH_AGENT, ws, target.agentId, at).map(toRevoked);
        }
      });
    },
    async listRevokedTokens(now) {
      return conn
        .many(
          'token',
          `SELECT jti, expires_at FROM tokens
           WHERE revoked_at IS NOT NULL AND expires_at > ? ORDER BY expires_at`,
          now,
        )
        .map(toRevoked);
    },
    async pruneTokens(before) {
      return conn.atomic('token prune', () => {
        // Counted first: rows removed by the parent_jti cascade are not in `changes`.
        const row = conn.one(
          'token',
          'SELECT COUNT(*) AS n FROM tokens WHERE expires_at < ?',
          before,
        );
        const n = row === undefined ? 0 : int(row, 'n');
        conn.run('token', 'DELETE FROM tokens WHERE expires_at < ?', before);
        conn.run('task', 'DELETE FROM tasks WHERE expires_at < ?', before);
        return n;
      });
    },
  };
}
