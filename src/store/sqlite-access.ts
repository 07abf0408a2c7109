import { toAgent, toApiKey, toGrant, toService } from './rows.ts';
import type { SqliteConn } from './sqlite-conn.ts';
import type { SecretOps } from './sqlite-secrets.ts';
import type { Role, StoreOps } from './types.ts';
import type { AuditStoreOps } from './types-audit.ts';
import type { PlaceholderStoreOps } from './types-placeholders.ts';
import type { SourceStoreOps } from './types-sources.ts';
import type { TokenStoreOps } from './types-tokens.ts';

/** The part of `StoreOps` that holds API keys, agents, services and grants. */
export type AccessOps = Omit<
  StoreOps,
  | keyof SecretOps
  | keyof AuditStoreOps
  | keyof TokenStoreOps
  | keyof SourceStoreOps
  | keyof PlaceholderStoreOps
>;

const ROLES: ReadonlySet<string> = new Set<Role>(['owner', 'admin', 'operator', 'auditor']);

function toJson(value: unknown, what: string): string {
  const out = JSON.stringify(value);
  if (typeof out !== 'string') throw new TypeError(`${what} must be JSON-serialisable`);
  return out;
}

function jsonOrNull(value: readonly string[] | null, what: string): string | null {
  return value === null ? null : toJson(value, what);
}

/**
 * API key, agent, service and grant operations on one SQLite connection,
 * unlocked: `openSqliteStore` serialises callers. Every query on a workspace
 * object filters by `workspace_id`; lookups by key hash are global because
 * they are how a presented key finds its workspace.
 */
export function sqliteAccessOps(conn: SqliteConn): AccessOps {
  return {
    async createApiKey(rec) {
      if (!ROLES.has(rec.role)) throw new TypeError('unknown API key role');
      conn.run(
        'API key',
        `INSERT INTO api_keys (id, workspace_id, name, role, key_hash, created_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        rec.id,
        rec.workspaceId,
        rec.name,
        rec.role,
        rec.keyHash,
        rec.createdAt,
        rec.revokedAt,
      );
    },
    async getApiKeyByHash(keyHash) {
      const row = conn.one('API key', 'SELECT * FROM api_keys WHERE key_hash = ?', keyHash);
      return row === undefined ? null : toApiKey(row);
    },
    async listApiKeys(ws) {
      return conn
        .many('API key', 'SELECT * FROM api_keys WHERE workspace_id = ? ORDER BY name', ws)
        .map(toApiKey);
    },
    async revokeApiKey(ws, id, at) {
      const n = conn.run(
        'API key',
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?)
         WHERE workspace_id = ? AND id = ?`,
        at,
        ws,
        id,
      );
      return n > 0;
    },

    async createAgent(rec) {
      conn.run(
        'agent',
        `INSERT INTO agents (id, workspace_id, name, key_hash, created_at, rotated_at, revoked_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        rec.id,
        rec.workspaceId,
        rec.name,
        rec.keyHash,
        rec.createdAt,
        rec.rotatedAt,
        rec.revokedAt,
      );
    },
    async getAgentByName(ws, name) {
      const row = conn.one(
        'agent',
        'SELECT * FROM agents WHERE workspace_id = ? AND name = ?',
        ws,
        name,
      );
      return row === undefined ? null : toAgent(row);
    },
    async getAgentByKeyHash(keyHash) {
      const row = conn.one('agent', 'SELECT * FROM agents WHERE key_hash = ?', keyHash);
      return row === undefined ? null : toAgent(row);
    },
    async listAgents(ws) {
      return conn
        .many('agent', 'SELECT * FROM agents WHERE workspace_id = ? ORDER BY name', ws)
        .map(toAgent);
    },
    async updateAgent(ws, id, patch) {
      // One fixed statement: an absent field binds NULL and keeps the column as it is.
      const n = conn.run(
        'agent',
        `UPDATE agents SET key_hash = COALESCE(?, key_hash),
           rotated_at = COALESCE(?, rotated_at), revoked_at = COALESCE(?, revoked_at)
         WHERE workspace_id = ? AND id = ?`,
        patch.keyHash ?? null,
        patch.rotatedAt ?? null,
        patch.revokedAt ?? null,
        ws,
        id,
      );
      return n > 0;
    },
    async deleteAgent(ws, id) {
      return conn.atomic('agent', () => {
        conn.run('grant', 'DELETE FROM grants WHERE workspace_id = ? AND agent_id = ?', ws, id);
        return (
          conn.run('agent', 'DELETE FROM agents WHERE workspace_id = ? AND id = ?', ws, id) > 0
        );
      });
    },

    async createService(rec) {
      conn.run(
        'service',
        'INSERT INTO services (id, workspace_id, name, spec, created_at) VALUES (?, ?, ?, ?, ?)',
        rec.id,
        rec.workspaceId,
        rec.name,
        toJson(rec.spec, 'service spec'),
        rec.createdAt,
      );
    },
    async getServiceByName(ws, name) {
      const row = conn.one(
        'service',
        'SELECT * FROM services WHERE workspace_id = ? AND name = ?',
        ws,
        name,
      );
      return row === undefined ? null : toService(row);
    },
    async listServices(ws) {
      return conn
        .many('service', 'SELECT * FROM services WHERE workspace_id = ? ORDER BY name', ws)
        .map(toService);
    },
    async deleteService(ws, id) {
      return conn.atomic('service', () => {
        conn.run('grant', 'DELETE FROM grants WHERE workspace_id = ? AND service_id = ?', ws, id);
        return (
          conn.run('service', 'DELETE FROM services WHERE workspace_id = ? AND id = ?', ws, id) > 0
        );
      });
    },

    async createGrant(rec) {
      conn.run(
        'grant',
        `INSERT INTO grants
           (id, workspace_id, agent_id, service_id, methods, paths, expires_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        rec.id,
        rec.workspaceId,
        rec.agentId,
        rec.serviceId,
        jsonOrNull(rec.methods, 'grant methods'),
        jsonOrNull(rec.paths, 'grant paths'),
        rec.expiresAt,
        rec.createdAt,
      );
    },
    async listGrants(ws, filter = {}) {
      return conn
        .many(
          'grant',
          `SELECT * FROM grants WHERE workspace_id = ?
           AND (?2 IS NULL OR agent_id = ?2) AND (?3 IS NULL OR service_id = ?3)
         ORDER BY created_at, id`,
          ws,
          filter.agentId ?? null,
          filter.serviceId ?? null,
        )
        .map(toGrant);
    },
    async deleteGrant(ws, id) {
      return conn.run('grant', 'DELETE FROM grants WHERE workspace_id = ? AND id = ?', ws, id) > 0;
    },
  };
}
