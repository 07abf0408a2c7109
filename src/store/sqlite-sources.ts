import type { WorkspaceId } from '../core/index.ts';
import { corrupt, int, type Row, text } from './rows.ts';
import type { SqliteConn } from './sqlite-conn.ts';
import type { ProviderRecord, SecretRefRecord, SourceStoreOps } from './types-sources.ts';

function toRef(row: Row): SecretRefRecord {
  return {
    workspaceId: text(row, 'workspace_id') as WorkspaceId,
    name: text(row, 'name'),
    ref: text(row, 'ref'),
    createdAt: int(row, 'created_at'),
    updatedAt: int(row, 'updated_at'),
  };
}

function toProvider(row: Row): ProviderRecord {
  let spec: unknown;
  try {
    spec = JSON.parse(text(row, 'spec'));
  } catch (err) {
    throw corrupt('spec', err);
  }
  return {
    workspaceId: text(row, 'workspace_id') as WorkspaceId,
    name: text(row, 'name'),
    spec,
    createdAt: int(row, 'created_at'),
    updatedAt: int(row, 'updated_at'),
  };
}

/**
 * Reference and provider operations on one SQLite connection, unlocked
 * (`openSqliteStore` serialises callers). Every query filters by workspace.
 */
export function sqliteSourceOps(conn: SqliteConn): SourceStoreOps {
  return {
    async putSecretRef(rec) {
      return conn.atomic('secret reference', () => {
        const updated = conn.run(
          'secret reference',
          'UPDATE secret_refs SET ref = ?, updated_at = ? WHERE workspace_id = ? AND name = ?',
          rec.ref,
          rec.updatedAt,
          rec.workspaceId,
          rec.name,
        );
        if (updated > 0) return false;
        conn.run(
          'secret reference',
          `INSERT INTO secret_refs (workspace_id, name, ref, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?)`,
          rec.workspaceId,
          rec.name,
          rec.ref,
          rec.createdAt,
          rec.updatedAt,
        );
        return true;
      });
    },
    async getSecretRef(ws, name) {
      const row = conn.one(
        'secret reference',
        'SELECT * FROM secret_refs WHERE workspace_id = ? AND name = ?',
        ws,
        name,
      );
      return row === undefined ? null : toRef(row);
    },
    async listSecretRefs(ws) {
      return conn
        .many(
          'secret reference',
          'SELECT * FROM secret_refs WHERE workspace_id = ? ORDER BY name',
          ws,
        )
        .map(toRef);
    },
    async deleteSecretRef(ws, name) {
      return (
        conn.run(
          'secret reference',
          'DELETE FROM secret_refs WHERE workspace_id = ? AND name = ?',
          ws,
          name,
        ) > 0
      );
    },

    async putProvider(rec) {
      const spec = JSON.stringify(rec.spec);
      return conn.atomic('provider', () => {
        const updated = conn.run(
          'provider',
          'UPDATE providers SET spec = ?, updated_at = ? WHERE workspace_id = ? AND name = ?',
          spec,
          rec.updatedAt,
          rec.workspaceId,
          rec.name,
        );
        if (updated > 0) return false;
        conn.run(
          'provider',
          `INSERT INTO providers (workspace_id, name, spec, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?)`,
          rec.workspaceId,
          rec.name,
          spec,
          rec.createdAt,
          rec.updatedAt,
        );
        return true;
      });
    },
    async listProviders(ws) {
      return conn
        .many('provider', 'SELECT * FROM providers WHERE workspace_id = ? ORDER BY name', ws)
        .map(toProvider);
    },
    async deleteProvider(ws, name) {
      return (
        conn.run(
          'provider',
          'DELETE FROM providers WHERE workspace_id = ? AND name = ?',
          ws,
          name,
        ) > 0
      );
    },
  };
}
