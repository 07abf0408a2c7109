import type { WorkspaceId } from '../core/index.ts';

/** A secret whose value lives outside the store: only the reference text is kept. */
export interface SecretRefRecord {
  readonly workspaceId: WorkspaceId;
  readonly name: string;
  /** `env:NAME`, `file:/abs/path[#/ptr]`, `exec:PROVIDER#ID` or `dotenvx:/abs/path#KEY` (checked by `vault/`). */
  readonly ref: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A declared exec provider; `spec` is its definition as a plain value, checked by `vault/`. */
export interface ProviderRecord {
  readonly workspaceId: WorkspaceId;
  readonly name: string;
  readonly spec: unknown;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * Secret references and exec providers. A reference and a stored secret
 * never share a name in one workspace (`ERR_CONFLICT`).
 */
export interface SourceStoreOps {
  /** Creates or repoints a reference; `createdAt` is kept on an update. Returns true if it was created. */
  putSecretRef(rec: SecretRefRecord): Promise<boolean>;
  getSecretRef(ws: WorkspaceId, name: string): Promise<SecretRefRecord | null>;
  listSecretRefs(ws: WorkspaceId): Promise<SecretRefRecord[]>;
  deleteSecretRef(ws: WorkspaceId, name: string): Promise<boolean>;

  /** Creates or replaces a provider. Returns true if it was created. */
  putProvider(rec: ProviderRecord): Promise<boolean>;
  listProviders(ws: WorkspaceId): Promise<ProviderRecord[]>;
  deleteProvider(ws: WorkspaceId, name: string): Promise<boolean>;
}
