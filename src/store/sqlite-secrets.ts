import { AirlockError } from '../core/index.ts';
import { toMetaValue, toSecret, toSecretVersion, toWorkspace } from './rows.ts';
import type { SqliteConn } from './sqlite-conn.ts';
import type { StoreOps } from './types.ts';

/** The part of `StoreOps` that holds instance values, workspaces and secrets. */
export type SecretOps = Pick<
  StoreOps,
  | 'getMeta'
  | 'putMeta'
  | 'deleteMeta'
  | 'createWorkspace'
  | 'getWorkspaceByName'
  | 'getWorkspace'
  | 'listWorkspaces'
  | 'setWorkspaceKey'
  | 'createSecret'
  | 'getSecretByName'
  | 'listSecrets'
  | 'addSecretVersion'
  | 'getSecretVersion'
  | 'deleteSecret'
>;

const SELECT_SECRET = `SELECT s.id, s.workspace_id, s.name, s.created_at, s.rotated_at,
  MAX(v.version) AS current_version, COUNT(v.version) AS version_count
  FROM secrets s LEFT JOIN secret_versions v ON v.secret_id = s.id`;

/**
 * Meta, workspace and secret operations on one SQLite connection, unlocked:
 * `openSqliteStore` serialises callers. Every secret query filters by
 * `workspace_id`; a secret id from another workspace is simply not found.
 */
export function sqliteSecretOps(conn: SqliteConn): SecretOps {
  return {
    async getMeta(key) {
      const row = conn.one('meta', 'SELECT value FROM meta WHERE key = ?', key);
      return row === undefined ? null : toMetaValue(row);
    },
    async putMeta(key, value) {
      conn.run(
        'meta',
        `INSERT INTO meta (key, value) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        key,
        value,
      );
    },
    async deleteMeta(key) {
      conn.run('meta', 'DELETE FROM meta WHERE key = ?', key);
    },

    async createWorkspace(rec) {
      conn.run(
        'workspace',
        'INSERT INTO workspaces (id, name, wrapped_key, created_at) VALUES (?, ?, ?, ?)',
        rec.id,
        rec.name,
        rec.wrappedKey,
        rec.createdAt,
      );
    },
    async getWorkspaceByName(name) {
      const row = conn.one('workspace', 'SELECT * FROM workspaces WHERE name = ?', name);
      return row === undefined ? null : toWorkspace(row);
    },
    async getWorkspace(id) {
      const row = conn.one('workspace', 'SELECT * FROM workspaces WHERE id = ?', id);
      return row === undefined ? null : toWorkspace(row);
    },
    async listWorkspaces() {
      return conn.many('workspace', 'SELECT * FROM workspaces ORDER BY name').map(toWorkspace);
    },
    async setWorkspaceKey(id, wrappedKey) {
      const n = conn.run(
        'workspace',
        'UPDATE workspaces SET wrapped_key = ? WHERE id = ?',
        wrappedKey,
        id,
      );
      if (n === 0) throw new AirlockError('ERR_NOT_FOUND', 'workspace not found');
    },

    async createSecret(rec, first) {
      if (first.secretId !== rec.id || first.version !== 1) {
        throw new TypeError('the first version of a secret must be version 1 of that secret');
      }
      conn.atomic('secret', () => {
        conn.run(
          'secret',
          `INSERT INTO secrets (id, workspace_id, name, created_at, rotated_at)
           VALUES (?, ?, ?, ?, NULL)`,
          rec.id,
          rec.workspaceId,
          rec.name,
          rec.createdAt,
        );
        conn.run(
          'secret version',
          `INSERT INTO secret_versions (secret_id, version, ciphertext, created_at)
           VALUES (?, ?, ?, ?)`,
          first.secretId,
          first.version,
          first.ciphertext,
          first.createdAt,
        );
      });
    },
    async getSecretByName(ws, name) {
      const row = conn.one(
        'secret',
        `${SELECT_SECRET} WHERE s.workspace_id = ? AND s.name = ? GROUP BY s.id`,
        ws,
        name,
      );
      return row === undefined ? null : toSecret(row);
    },
    async listSecrets(ws) {
      return conn
        .many(
          'secret',
          `${SELECT_SECRET} WHERE s.workspace_id = ? GROUP BY s.id ORDER BY s.name`,
          ws,
        )
        .map(toSecret);
    },
    async addSecretVersion(ws, version) {
      conn.atomic('secret version', () => {
        const row = conn.one(
          'secret version',
          `${SELECT_SECRET} WHERE s.workspace_id = ? AND s.id = ? GROUP BY s.id`,
          ws,
          version.secretId,
        );
        if (row === undefined) throw new AirlockError('ERR_NOT_FOUND', 'secret not found');
        // Two rotations racing from the same current version: the second must not
        // skip a number or silently land; it retries from the new current version.
        if (version.version !== toSecret(row).currentVersion + 1) {
          throw new AirlockError('ERR_CONFLICT', 'secret version is not the next version');
        }
        conn.run(
          'secret version',
          `INSERT INTO secret_versions (secret_id, version, ciphertext, created_at)
           VALUES (?, ?, ?, ?)`,
          version.secretId,
          version.version,
          version.ciphertext,
          version.createdAt,
        );
        conn.run(
          'secret',
          'UPDATE secrets SET rotated_at = ? WHERE workspace_id = ? AND id = ?',
          version.createdAt,
          ws,
          version.secretId,
        );
      });
    },
    async getSecretVersion(ws, id, version) {
      const row = conn.one(
        'secret version',
        `SELECT v.* FROM secret_versions v JOIN secrets s ON s.id = v.secret_id
         WHERE s.workspace_id = ? AND v.secret_id = ? AND v.version = ?`,
        ws,
        id,
        version,
      );
      return row === undefined ? null : toSecretVersion(row);
    },
    async deleteSecret(ws, id) {
      return conn.atomic('secret', () => {
        conn.run(
          'secret version',
          `DELETE FROM secret_versions
           WHERE secret_id IN (SELECT id FROM secrets WHERE workspace_id = ? AND id = ?)`,
          ws,
          id,
        );
        return (
          conn.run('secret', 'DELETE FROM secrets WHERE workspace_id = ? AND id = ?', ws, id) > 0
        );
      });
    },
  };
}
