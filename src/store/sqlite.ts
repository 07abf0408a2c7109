import { AsyncLocalStorage } from 'node:async_hooks';
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { AirlockError, type Clock, systemClock } from '../core/index.ts';
import { attempt } from './errors.ts';
import { type Gate, gateOps } from './gate.ts';
import { applyMigrations, SQLITE_MIGRATIONS } from './migrations.ts';
import { Mutex } from './mutex.ts';
import { pragmaValue } from './rows.ts';
import { sqliteAccessOps } from './sqlite-access.ts';
import { sqliteAuditOps } from './sqlite-audit.ts';
import { rollbackQuietly, SqliteConn } from './sqlite-conn.ts';
import { sqlitePlaceholderOps } from './sqlite-placeholders.ts';
import { sqliteSecretOps } from './sqlite-secrets.ts';
import { sqliteSourceOps } from './sqlite-sources.ts';
import { sqliteTokenOps } from './sqlite-tokens.ts';
import type { Store, StoreOps } from './types.ts';

/** Options for {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Source of the `applied_at` times recorded by migrations. Defaults to the system clock. */
  readonly clock?: Clock;
  /** How long a write waits for another process's lock, in milliseconds. Defaults to 5000. */
  readonly busyTimeoutMs?: number;
}

interface TxScope {
  open: boolean;
}

function errnoCode(err: unknown): unknown {
  return err instanceof Error && 'code' in err ? err.code : undefined;
}

/** Refuses anything but a regular file, and takes away group and other access. */
function restrict(file: string): void {
  const st = statSync(file);
  if (!st.isFile()) throw new AirlockError('ERR_STORE', 'store path is not a regular file');
  if ((st.mode & 0o077) !== 0) chmodSync(file, 0o600);
}

/**
 * Creates the database file as 0600 before SQLite sees it, so it is never
 * readable by others, not even for a moment. SQLite gives its -wal and -shm
 * files the mode of the main file; they are tightened too in case the main
 * file was looser when they were made.
 */
function prepareFile(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') {
      throw new AirlockError('ERR_STORE', 'cannot create the store file', { cause: err });
    }
  }
  try {
    restrict(path);
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    throw new AirlockError('ERR_STORE', 'cannot secure the store file', { cause: err });
  }
}

function restrictSidecars(path: string): void {
  for (const suffix of ['-wal', '-shm', '-journal']) {
    try {
      restrict(path + suffix);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') {
        throw new AirlockError('ERR_STORE', 'cannot secure the store files', { cause: err });
      }
    }
  }
}

function configure(db: DatabaseSync, memory: boolean): void {
  attempt('configure store', () => {
    const mode = pragmaValue(db.prepare('PRAGMA journal_mode = WAL').get(), 'journal_mode');
    if (!memory && mode !== 'wal') {
      throw new AirlockError('ERR_STORE', 'store cannot use write-ahead logging');
    }
    // FULL syncs the WAL on every commit: a write that resolved survives
    // SIGKILL and power loss. secure_delete zeroes the bytes of deleted rows
    // (old ciphertexts) instead of leaving them in free pages.
    db.exec(`PRAGMA synchronous = FULL;
      PRAGMA foreign_keys = ON;
      PRAGMA secure_delete = ON;
      PRAGMA trusted_schema = OFF;`);
  });
}

/**
 * Opens (creating if missing, mode 0600) the SQLite database at `path` and
 * returns it as a {@link Store}. `':memory:'` opens a private in-memory one.
 *
 * The connection runs in WAL mode with `synchronous = FULL`, foreign keys on
 * and a busy timeout. Pending migrations are applied in one transaction
 * before this resolves; a database written by a newer Airlock is refused.
 *
 * `node:sqlite` is synchronous but one connection is shared by every caller,
 * so all operations go through a FIFO lock. `transaction(fn)` holds that lock
 * from `BEGIN IMMEDIATE` until `COMMIT` or `ROLLBACK`: no other caller's
 * operation ever runs inside it. Inside `fn`, use only the `tx` object it is
 * given. Calling the store itself there (including a nested `transaction`)
 * is a caller bug and throws `TypeError`, where it would otherwise deadlock.
 *
 * Errors: `ERR_CONFLICT` for a unique violation, `ERR_NOT_FOUND` for a
 * reference to a workspace, agent, service or secret that is not in the
 * given workspace, `ERR_STORE` (with `cause`) for any other failure,
 * including use after `close()`.
 */
export async function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Promise<Store> {
  if (typeof path !== 'string' || path === '') {
    throw new TypeError('store path must be a non-empty string');
  }
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new TypeError('busyTimeoutMs must be a non-negative integer');
  }
  const memory = path === ':memory:';
  if (!memory) prepareFile(path);
  const db = attempt(
    'open store',
    () => new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: busyTimeoutMs }),
  );
  try {
    configure(db, memory);
    applyMigrations(db, SQLITE_MIGRATIONS, opts.clock ?? systemClock);
    if (!memory) restrictSidecars(path);
  } catch (err) {
    db.close();
    throw err;
  }
  return lockedStore(db);
}

function lockedStore(db: DatabaseSync): Store {
  const conn = new SqliteConn(db);
  const ops: StoreOps = {
    ...sqliteSecretOps(conn),
    ...sqliteAccessOps(conn),
    ...sqliteAuditOps(conn),
    ...sqliteTokenOps(conn),
    ...sqliteSourceOps(conn),
    ...sqlitePlaceholderOps(conn),
  };
  const mutex = new Mutex();
  // Marks the async context of a running transaction body, so a call on the
  // store from inside it fails at once instead of waiting on its own lock.
  const inTx = new AsyncLocalStorage<TxScope>();
  let closed = false;

  const misuse = (what: string): TypeError | null =>
    inTx.getStore()?.open === true
      ? new TypeError(`${what} inside a transaction: use its tx object; transactions do not nest`)
      : null;

  const exclusive: Gate = (op) =>
    mutex.run(() => {
      if (closed) return Promise.reject(new AirlockError('ERR_STORE', 'store is closed'));
      return op();
    });

  const locked: Gate = (op) => {
    const bug = misuse('store called');
    return bug === null ? exclusive(op) : Promise.reject(bug);
  };

  async function transaction<T>(fn: (tx: StoreOps) => Promise<T>): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError('transaction needs a function');
    const bug = misuse('transaction started');
    if (bug !== null) throw bug;
    return exclusive(async () => {
      attempt('begin transaction', () => db.exec('BEGIN IMMEDIATE'));
      const scope: TxScope = { open: true };
      const tx = gateOps(ops, (op) =>
        scope.open ? op() : Promise.reject(new TypeError('transaction has ended; tx is spent')),
      );
      try {
        const result = await inTx.run(scope, () => fn(tx));
        scope.open = false;
        attempt('commit transaction', () => db.exec('COMMIT'));
        return result;
      } catch (err) {
        scope.open = false;
        rollbackQuietly(db);
        throw err;
      }
    });
  }

  async function close(): Promise<void> {
    const bug = misuse('store closed');
    if (bug !== null) throw bug;
    await mutex.run(async () => {
      if (closed) return;
      closed = true;
      attempt('close store', () => db.close());
    });
  }

  return { ...gateOps(ops, locked), transaction, close };
}
