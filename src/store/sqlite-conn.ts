import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import { attempt } from './errors.ts';
import type { Row } from './rows.ts';

/**
 * One SQLite connection seen through the few calls the store's operations
 * need. Statements are prepared once and cached by their (constant) text;
 * values are always bound parameters. Each call maps a driver failure through
 * `toStoreError`, naming `what` was being done.
 */
export class SqliteConn {
  readonly #db: DatabaseSync;
  readonly #cache = new Map<string, StatementSync>();

  constructor(db: DatabaseSync) {
    this.#db = db;
  }

  #stmt(sql: string): StatementSync {
    let s = this.#cache.get(sql);
    if (s === undefined) {
      s = this.#db.prepare(sql);
      this.#cache.set(sql, s);
    }
    return s;
  }

  /** The first row of `sql`, or undefined when there is none. */
  one(what: string, sql: string, ...params: SQLInputValue[]): Row | undefined {
    return attempt(what, () => this.#stmt(sql).get(...params));
  }

  /** Every row of `sql`. */
  many(what: string, sql: string, ...params: SQLInputValue[]): Row[] {
    return attempt(what, () => this.#stmt(sql).all(...params));
  }

  /** Runs a write and returns how many rows it changed. */
  run(what: string, sql: string, ...params: SQLInputValue[]): number {
    return Number(attempt(what, () => this.#stmt(sql).run(...params).changes));
  }

  /**
   * Runs `fn` all-or-nothing: in its own `BEGIN IMMEDIATE` transaction, or in
   * a savepoint when the caller's transaction is already open, so a failing
   * multi-row operation leaves the caller's earlier writes in place.
   */
  atomic<T>(what: string, fn: () => T): T {
    const db = this.#db;
    const nested = db.isTransaction;
    attempt(what, () => db.exec(nested ? 'SAVEPOINT airlock_op' : 'BEGIN IMMEDIATE'));
    try {
      const result = fn();
      attempt(what, () => db.exec(nested ? 'RELEASE airlock_op' : 'COMMIT'));
      return result;
    } catch (err) {
      if (nested) {
        attempt(what, () => db.exec('ROLLBACK TO airlock_op; RELEASE airlock_op'));
      } else {
        rollbackQuietly(db);
      }
      throw err;
    }
  }
}

/**
 * Ends an open transaction after a failure. A failing ROLLBACK is ignored so
 * the error that caused it is the one reported; SQLite has not failed a
 * ROLLBACK for pending statements since 3.7.11, and a transaction a crash
 * leaves open is rolled back from the WAL on the next open.
 */
export function rollbackQuietly(db: DatabaseSync): void {
  try {
    if (db.isOpen && db.isTransaction) db.exec('ROLLBACK');
  } catch {
    // see above
  }
}
