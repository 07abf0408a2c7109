export type { Migration } from './migrations.ts';
export { openSqliteStore, type SqliteStoreOptions } from './sqlite.ts';
export type {
  AgentRecord,
  ApiKeyRecord,
  GrantRecord,
  Role,
  SecretRecord,
  SecretVersionRecord,
  ServiceRecord,
  Store,
  StoreOps,
  WorkspaceRecord,
} from './types.ts';
export type {
  AuditActivityRow,
  AuditAnchorRecord,
  AuditRow,
  AuditRowFilter,
  AuditStoreOps,
  LiveTokenRow,
} from './types-audit.ts';
export type { PlaceholderRecord, PlaceholderStoreOps } from './types-placeholders.ts';
export type { ProviderRecord, SecretRefRecord, SourceStoreOps } from './types-sources.ts';
export type {
  RevocationTarget,
  RevokedToken,
  TaskRecord,
  TokenRecord,
  TokenStoreOps,
} from './types-tokens.ts';
