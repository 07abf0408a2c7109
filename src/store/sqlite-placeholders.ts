import type { WorkspaceId } from '../core/index.ts';
import { int, type Row, text } from './rows.ts';
import type { SqliteConn } from './sqlite-conn.ts';
import type { PlaceholderRecord, PlaceholderStoreOps } from './types-placeholders.ts';

function toPlaceholder(row: Row): PlaceholderRecord {
  return {
    hash: text(row, 'hash'),
    workspaceId: text(row, 'workspace_id') as WorkspaceId,
    taskId: text(row, 'task_id'),
    secretName: text(row, 'secret_name'),
    createdAt: int(row, 'created_at'),
    expiresAt: int(row, 'expires_at'),
  };
}

const HASH = /^[0-9a-f]{64}$/;

/**
 * Placeholder operations on one SQLite connection, unlocked:
 * `openSqliteStore` serialises callers. The start-up load is instance-wide
 * by nature; everything else filters by workspace.
 */
export function sqlitePlaceholderOps(conn: SqliteConn): PlaceholderStoreOps {
  return {
    async createPlaceholders(recs) {
      for (const r of recs) {
        if (!HASH.test(r.hash))
          throw new TypeError('placeholder hash must be lower-case hex SHA-256');
      }
      conn.atomic('placeholder', () => {
        for (const r of recs) {
          conn.run(
            'placeholder',
            `INSERT INTO placeholders
               (hash, workspace_id, task_id, secret_name, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)`,
            r.hash,
            r.workspaceId,
            r.taskId,
            r.secretName,
            r.createdAt,
            r.expiresAt,
          );
        }
      });
    },
    async listPlaceholders(now) {
      return conn
        .many('placeholder', 'SELECT * FROM placeholders WHERE expires_at > ?', now)
        .map(toPlaceholder);
    },
    async listTaskPlaceholders(ws, taskId) {
      return conn
        .many(
          'placeholder',
          'SELECT * FROM placeholders WHERE workspace_id = ? AND task_id = ? ORDER BY secret_name',
          ws,
          taskId,
        )
        .map(toPlaceholder);
    },
  };
}
