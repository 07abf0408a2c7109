import type { DatabaseSync } from 'node:sqlite';
import { AirlockError, type Clock } from '../core/index.ts';
import { attempt } from './errors.ts';
import { pragmaValue } from './rows.ts';
import { AUDIT_LEAN_INDEXES, AUDIT_SCHEMA } from './schema-audit.ts';
import { PLACEHOLDERS_SCHEMA } from './schema-placeholders.ts';
import { SOURCES_SCHEMA } from './schema-sources.ts';
import { TOKENS_SCHEMA } from './schema-tokens.ts';
import { rollbackQuietly } from './sqlite-conn.ts';

/** One forward-only schema step. Versions count up from 1 with no gaps. */
export interface Migration {
  readonly version: number;
  readonly sql: string;
}

/**
 * The SQLite schema, oldest first. Never edit a released entry: add a new one.
 *
 * Tables are STRICT so a value of the wrong type is refused rather than
 * coerced. Grants reference agents and services by `(workspace_id, id)`, so
 * the database itself refuses a grant that joins objects of two workspaces.
 */
export const SQLITE_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    sql: `
CREATE TABLE schema_migrations (
  version    INTEGER PRIMARY KEY NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT;

CREATE TABLE meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value BLOB NOT NULL
) STRICT;

CREATE TABLE workspaces (
  id          TEXT PRIMARY KEY NOT NULL,
  name        TEXT NOT NULL UNIQUE,
  wrapped_key BLOB NOT NULL,
  created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE secrets (
  id           TEXT PRIMARY KEY NOT NULL,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  name         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  rotated_at   INTEGER,
  UNIQUE (workspace_id, name)
) STRICT;

CREATE TABLE secret_versions (
  secret_id  TEXT NOT NULL REFERENCES secrets (id) ON DELETE CASCADE,
  version    INTEGER NOT NULL CHECK (version >= 1),
  ciphertext BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (secret_id, version)
) STRICT;

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY NOT NULL,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'operator', 'auditor')),
  key_hash     TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  revoked_at   INTEGER,
  UNIQUE (workspace_id, name)
) STRICT;

CREATE TABLE agents (
  id           TEXT PRIMARY KEY NOT NULL,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  name         TEXT NOT NULL,
  key_hash     TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  rotated_at   INTEGER,
  revoked_at   INTEGER,
  UNIQUE (workspace_id, name),
  UNIQUE (workspace_id, id)
) STRICT;

CREATE TABLE services (
  id           TEXT PRIMARY KEY NOT NULL,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  name         TEXT NOT NULL,
  spec         TEXT NOT NULL CHECK (json_valid(spec)),
  created_at   INTEGER NOT NULL,
  UNIQUE (workspace_id, name),
  UNIQUE (workspace_id, id)
) STRICT;

CREATE TABLE grants (
  id           TEXT PRIMARY KEY NOT NULL,
  workspace_id TEXT NOT NULL REFERENCES workspaces (id),
  agent_id     TEXT NOT NULL,
  service_id   TEXT NOT NULL,
  methods      TEXT CHECK (methods IS NULL OR json_valid(methods)),
  paths        TEXT CHECK (paths IS NULL OR json_valid(paths)),
  expires_at   INTEGER,
  created_at   INTEGER NOT NULL,
  FOREIGN KEY (workspace_id, agent_id) REFERENCES agents (workspace_id, id) ON DELETE CASCADE,
  FOREIGN KEY (workspace_id, service_id) REFERENCES services (workspace_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX grants_by_agent ON grants (workspace_id, agent_id);
CREATE INDEX grants_by_service ON grants (workspace_id, service_id);
`,
  },
  { version: 2, sql: TOKENS_SCHEMA },
  { version: 3, sql: AUDIT_SCHEMA },
  { version: 4, sql: SOURCES_SCHEMA },
  { version: 5, sql: PLACEHOLDERS_SCHEMA },
  { version: 6, sql: AUDIT_LEAN_INDEXES },
];

function checkList(migrations: readonly Migration[]): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1 || typeof m.sql !== 'string') {
      throw new TypeError(`migration #${i} must have version ${i + 1} and SQL text`);
    }
  });
  return migrations.length;
}

function readVersion(db: DatabaseSync): number {
  const row = db.prepare('PRAGMA user_version').get();
  const version = pragmaValue(row, 'user_version');
  if (typeof version !== 'number') {
    throw new AirlockError('ERR_STORE', 'store schema version is unreadable');
  }
  return version;
}

/**
 * Brings the schema up to the last of `migrations`, applying every pending
 * step in one `BEGIN IMMEDIATE` transaction: after a crash the database is at
 * the old version or the new one, never between. `PRAGMA user_version` is the
 * authoritative version (it lives in the database header and is
 * transactional); `schema_migrations` records when each step was applied.
 *
 * Refuses with `ERR_STORE` a database whose version is newer than the code
 * knows, so an old binary never writes to a schema it does not understand.
 * Returns the version the database is at afterwards.
 */
export function applyMigrations(
  db: DatabaseSync,
  migrations: readonly Migration[],
  clock: Clock,
): number {
  const latest = checkList(migrations);
  attempt('begin migration', () => db.exec('BEGIN IMMEDIATE'));
  try {
    const current = attempt('read schema version', () => readVersion(db));
    if (!Number.isSafeInteger(current) || current < 0) {
      throw new AirlockError('ERR_STORE', `store schema version ${current} is invalid`);
    }
    if (current > latest) {
      throw new AirlockError(
        'ERR_STORE',
        `store schema version ${current} is newer than this Airlock understands (${latest}); upgrade Airlock`,
      );
    }
    for (const m of migrations.slice(current)) {
      attempt(`migration ${m.version}`, () => {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
          m.version,
          clock.now(),
        );
        // PRAGMA takes no bound parameters; the version is a checked integer from this file.
        db.exec(`PRAGMA user_version = ${m.version}`);
      });
    }
    attempt('commit migration', () => db.exec('COMMIT'));
    return Math.max(current, latest);
  } catch (err) {
    rollbackQuietly(db);
    throw err;
  }
}
