import type {
  AgentId,
  ApiKeyId,
  GrantId,
  SecretId,
  ServiceId,
  WorkspaceId,
} from '../core/index.ts';
import type { AuditStoreOps } from './types-audit.ts';
import type { PlaceholderStoreOps } from './types-placeholders.ts';
import type { SourceStoreOps } from './types-sources.ts';
import type { TokenStoreOps } from './types-tokens.ts';

/** Roles of admin API keys. `owner` is the key printed by `airlock init` (and the local socket). */
export type Role = 'owner' | 'admin' | 'operator' | 'auditor';

/** A workspace: the tenant boundary. Every other record but meta belongs to exactly one. */
export interface WorkspaceRecord {
  readonly id: WorkspaceId;
  readonly name: string;
  /** The workspace data key, wrapped (AES-256-GCM) by the root key. */
  readonly wrappedKey: Uint8Array;
  readonly createdAt: number;
}

/** A secret's metadata. Its versions (the ciphertexts) are `SecretVersionRecord`s. */
export interface SecretRecord {
  readonly id: SecretId;
  readonly workspaceId: WorkspaceId;
  readonly name: string;
  readonly createdAt: number;
  /** Time of the latest rotation, or null if never rotated. */
  readonly rotatedAt: number | null;
  /** The highest version number; versions count up from 1. */
  readonly currentVersion: number;
  readonly versionCount: number;
}

/** One encrypted value of a secret. Versions are kept until the secret is deleted. */
export interface SecretVersionRecord {
  readonly secretId: SecretId;
  readonly version: number;
  /** Envelope ciphertext; its AAD binds workspace id, secret id and version. */
  readonly ciphertext: Uint8Array;
  readonly createdAt: number;
}

/** An admin API key of one workspace, with its role. */
export interface ApiKeyRecord {
  readonly id: ApiKeyId;
  readonly workspaceId: WorkspaceId;
  readonly name: string;
  readonly role: Role;
  /** Hex SHA-256 of the key; the key itself is never stored. */
  readonly keyHash: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

/** A registered agent identity of one workspace. */
export interface AgentRecord {
  readonly id: AgentId;
  readonly workspaceId: WorkspaceId;
  readonly name: string;
  /** Hex SHA-256 of the agent key (`alk_agent_…`). */
  readonly keyHash: string;
  readonly createdAt: number;
  readonly rotatedAt: number | null;
  readonly revokedAt: number | null;
}

/** An upstream API of one workspace; its definition lives in `spec`. */
export interface ServiceRecord {
  readonly id: ServiceId;
  readonly workspaceId: WorkspaceId;
  readonly name: string;
  /** The service definition as a plain serialisable value (see `policy/`). Stored as JSON. */
  readonly spec: unknown;
  readonly createdAt: number;
}

/** Agent × service, narrowed by methods, paths and an optional expiry. Same workspace as both. */
export interface GrantRecord {
  readonly id: GrantId;
  readonly workspaceId: WorkspaceId;
  readonly agentId: AgentId;
  readonly serviceId: ServiceId;
  /** Allowed methods (upper case), or null for the service's own limit. */
  readonly methods: readonly string[] | null;
  /** Allowed path patterns, or null for the service's own limit. */
  readonly paths: readonly string[] | null;
  readonly expiresAt: number | null;
  readonly createdAt: number;
}

/**
 * Everything the rest of Airlock may do with persistent state. Small and
 * asynchronous so the PostgreSQL implementation fits without changing callers.
 * Every method is scoped by workspace where the object belongs to one: no
 * query crosses workspaces.
 *
 * Unique-name violations throw `AirlockError('ERR_CONFLICT')`; a create or
 * update that refers to a workspace, agent, service or secret that is not in
 * the given workspace throws `AirlockError('ERR_NOT_FOUND')`; other storage
 * failures throw `AirlockError('ERR_STORE')` with the driver error as `cause`.
 */
export interface StoreOps
  extends AuditStoreOps,
    TokenStoreOps,
    SourceStoreOps,
    PlaceholderStoreOps {
  // instance-level values (CA, signing keys, settings): opaque bytes
  getMeta(key: string): Promise<Uint8Array | null>;
  putMeta(key: string, value: Uint8Array): Promise<void>;
  deleteMeta(key: string): Promise<void>;

  createWorkspace(rec: WorkspaceRecord): Promise<void>;
  getWorkspaceByName(name: string): Promise<WorkspaceRecord | null>;
  getWorkspace(id: WorkspaceId): Promise<WorkspaceRecord | null>;
  listWorkspaces(): Promise<WorkspaceRecord[]>;
  /** Replaces the wrapped data key (root-key rotation). `ERR_NOT_FOUND` if there is no such workspace. */
  setWorkspaceKey(id: WorkspaceId, wrappedKey: Uint8Array): Promise<void>;

  /** Creates the secret and its version 1. */
  createSecret(
    rec: { id: SecretId; workspaceId: WorkspaceId; name: string; createdAt: number },
    first: SecretVersionRecord,
  ): Promise<void>;
  getSecretByName(ws: WorkspaceId, name: string): Promise<SecretRecord | null>;
  listSecrets(ws: WorkspaceId): Promise<SecretRecord[]>;
  /**
   * Appends a version (number = current + 1, given by the caller) and marks the
   * secret rotated (`rotatedAt = version.createdAt`), in one transaction.
   * `ERR_NOT_FOUND` if the secret is not in `ws`; `ERR_CONFLICT` if the number is
   * not current + 1 (a concurrent rotation won: re-read and retry).
   */
  addSecretVersion(ws: WorkspaceId, version: SecretVersionRecord): Promise<void>;
  getSecretVersion(
    ws: WorkspaceId,
    id: SecretId,
    version: number,
  ): Promise<SecretVersionRecord | null>;
  /** Deletes the secret and all of its versions. Returns false if it did not exist. */
  deleteSecret(ws: WorkspaceId, id: SecretId): Promise<boolean>;

  createApiKey(rec: ApiKeyRecord): Promise<void>;
  getApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(ws: WorkspaceId): Promise<ApiKeyRecord[]>;
  /** Sets revokedAt if not already set. Returns false if there is no such key. */
  revokeApiKey(ws: WorkspaceId, id: ApiKeyId, at: number): Promise<boolean>;

  createAgent(rec: AgentRecord): Promise<void>;
  getAgentByName(ws: WorkspaceId, name: string): Promise<AgentRecord | null>;
  getAgentByKeyHash(keyHash: string): Promise<AgentRecord | null>;
  listAgents(ws: WorkspaceId): Promise<AgentRecord[]>;
  updateAgent(
    ws: WorkspaceId,
    id: AgentId,
    patch: { keyHash?: string; rotatedAt?: number; revokedAt?: number },
  ): Promise<boolean>;
  /** Deletes the agent and its grants. */
  deleteAgent(ws: WorkspaceId, id: AgentId): Promise<boolean>;

  createService(rec: ServiceRecord): Promise<void>;
  getServiceByName(ws: WorkspaceId, name: string): Promise<ServiceRecord | null>;
  listServices(ws: WorkspaceId): Promise<ServiceRecord[]>;
  /** Deletes the service and its grants. */
  deleteService(ws: WorkspaceId, id: ServiceId): Promise<boolean>;

  createGrant(rec: GrantRecord): Promise<void>;
  listGrants(
    ws: WorkspaceId,
    filter?: { agentId?: AgentId; serviceId?: ServiceId },
  ): Promise<GrantRecord[]>;
  deleteGrant(ws: WorkspaceId, id: GrantId): Promise<boolean>;
}

/** A `StoreOps` that owns its connection: it runs transactions and can be closed. */
export interface Store extends StoreOps {
  /**
   * Runs `fn` in one transaction: all of its writes commit together or none
   * do. Other callers' operations wait until it ends, so nothing interleaves.
   */
  transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
