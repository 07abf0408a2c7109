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
