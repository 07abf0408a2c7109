import type { SQLOutputValue } from 'node:sqlite';
import {
  type AgentId,
  AirlockError,
  type ApiKeyId,
  type GrantId,
  type SecretId,
  type ServiceId,
  type WorkspaceId,
} from '../core/index.ts';
import type {
  AgentRecord,
  ApiKeyRecord,
  GrantRecord,
  Role,
  SecretRecord,
  SecretVersionRecord,
  ServiceRecord,
  WorkspaceRecord,
} from './types.ts';

/** A result row as `node:sqlite` returns it: column name to value. */
export type Row = Record<string, SQLOutputValue>;

const ROLES: ReadonlySet<string> = new Set<Role>(['owner', 'admin', 'operator', 'auditor']);

/** The error for a row whose column does not hold what the schema says. */
export function corrupt(column: string, cause?: unknown): AirlockError {
  return new AirlockError('ERR_STORE', `store row is malformed (column ${column})`, { cause });
}

/** A TEXT column. */
export function text(row: Row, column: string): string {
  const v = row[column];
  if (typeof v !== 'string') throw corrupt(column);
  return v;
}

/** A nullable TEXT column. */
export function textOrNull(row: Row, column: string): string | null {
  return row[column] === null ? null : text(row, column);
}

/** An INTEGER column that fits a safe integer. */
export function int(row: Row, column: string): number {
  const v = row[column];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw corrupt(column);
  return v;
}

/** A nullable INTEGER column. */
export function intOrNull(row: Row, column: string): number | null {
  return row[column] === null ? null : int(row, column);
}

function bytes(row: Row, column: string): Uint8Array {
  const v = row[column];
  if (!(v instanceof Uint8Array)) throw corrupt(column);
  return v;
}

function json(row: Row, column: string): unknown {
  const raw = text(row, column);
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw corrupt(column, err);
  }
}

function stringsOrNull(row: Row, column: string): readonly string[] | null {
  if (row[column] === null) return null;
  const v = json(row, column);
  if (!isStringArray(v)) throw corrupt(column);
  return v;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s: unknown) => typeof s === 'string');
}

function role(row: Row, column: string): Role {
  const v = text(row, column);
  if (!ROLES.has(v)) throw corrupt(column);
  return v as Role;
}

/** The value a `PRAGMA name` query returned, or undefined when it returned no row. */
export function pragmaValue(row: Row | undefined, name: string): SQLOutputValue | undefined {
  return row?.[name];
}

/** The value of `meta.value`. */
export function toMetaValue(row: Row): Uint8Array {
  return bytes(row, 'value');
}

/** A `workspaces` row. */
export function toWorkspace(row: Row): WorkspaceRecord {
  return {
    id: text(row, 'id') as WorkspaceId,
    name: text(row, 'name'),
    wrappedKey: bytes(row, 'wrapped_key'),
    createdAt: int(row, 'created_at'),
  };
}

/** A `secrets` row joined with the `current_version` and `version_count` aggregates. */
export function toSecret(row: Row): SecretRecord {
  return {
    id: text(row, 'id') as SecretId,
    workspaceId: text(row, 'workspace_id') as WorkspaceId,
    name: text(row, 'name'),
    createdAt: int(row, 'created_at'),
    rotatedAt: intOrNull(row, 'rotated_at'),
    currentVersion: intOrNull(row, 'current_version') ?? 0,
    versionCount: int(row, 'version_count'),
  };
}

/** A `secret_versions` row. */
export function toSecretVersion(row: Row): SecretVersionRecord {
  return {
    secretId: text(row, 'secret_id') as SecretId,
    version: int(row, 'version'),
    ciphertext: bytes(row, 'ciphertext'),
    createdAt: int(row, 'created_at'),
  };
}

/** An `api_keys` row. */
export function toApiKey(row: Row): ApiKeyRecord {
  return {
    id: text(row, 'id') as ApiKeyId,
    workspaceId: text(row, 'workspace_id') as WorkspaceId,
    name: text(row, 'name'),
    role: role(row, 'role'),
    keyHash: text(row, 'key_hash'),
    createdAt: int(row, 'created_at'),
    revokedAt: intOrNull(row, 'revoked_at'),
  };
}

/** An `agents` row. */
export function toAgent(row: Row): AgentRecord {
  return {
    id: text(row, 'id') as AgentId,
    workspaceId: text(row, 'workspace_id') as WorkspaceId,
    name: text(row, 'name'),
    keyHash: text(row, 'key_hash'),
    createdAt: int(row, 'created_at'),
    rotatedAt: intOrNull(row, 'rotated_at'),
    revokedAt: intOrNull(row, 'revoked_at'),
  };
}

/** A `services` row; `spec` is parsed from JSON but otherwise left to `policy/` to check. */
export function toService(row: Row): ServiceRecord {
  return {
    id: text(row, 'id') as ServiceId,
    workspaceId: text(row, 'workspace_id') as WorkspaceId,
    name: text(row, 'name'),
    spec: json(row, 'spec'),
    createdAt: int(row, 'created_at'),
  };
}

/** A `grants` row. */
export function toGrant(row: Row): GrantRecord {
  return {
    id: text(row, 'id') as GrantId,
    workspaceId: text(row, 'workspace_id') as WorkspaceId,
    agentId: text(row, 'agent_id') as AgentId,
    serviceId: text(row, 'service_id') as ServiceId,
    methods: stringsOrNull(row, 'methods'),
    paths: stringsOrNull(row, 'paths'),
    expiresAt: intOrNull(row, 'expires_at'),
    createdAt: int(row, 'created_at'),
  };
}
