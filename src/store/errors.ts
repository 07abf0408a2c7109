import { AirlockError } from '../core/index.ts';

// SQLite extended result codes (https://sqlite.org/rescode.html).
const SQLITE_CONSTRAINT_UNIQUE = 2067;
const SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
const SQLITE_CONSTRAINT_FOREIGNKEY = 787;
/** `RAISE(ABORT)` in a trigger: migration 4 uses it to keep secret and reference names apart. */
const SQLITE_CONSTRAINT_TRIGGER = 1811;

function sqliteCode(err: unknown): number | null {
  if (!(err instanceof Error) || !('errcode' in err)) return null;
  return typeof err.errcode === 'number' ? err.errcode : null;
}

/**
 * Turns a driver failure into the `Store` contract's errors:
 * - a unique or primary-key violation is `ERR_CONFLICT` ("`what` already exists");
 * - a foreign-key violation is `ERR_NOT_FOUND` (the referenced workspace,
 *   agent or service does not exist in that workspace);
 * - anything else is `ERR_STORE`.
 *
 * `AirlockError` and `TypeError` pass through unchanged. The message never
 * echoes the driver's text; that stays in `cause`.
 */
export function toStoreError(err: unknown, what: string): Error {
  if (err instanceof AirlockError || err instanceof TypeError) return err;
  switch (sqliteCode(err)) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
    case SQLITE_CONSTRAINT_TRIGGER:
      return new AirlockError('ERR_CONFLICT', `${what} already exists`, { cause: err });
    case SQLITE_CONSTRAINT_FOREIGNKEY:
      return new AirlockError(
        'ERR_NOT_FOUND',
        `${what} refers to something that does not exist in this workspace`,
        { cause: err },
      );
    default:
      return new AirlockError('ERR_STORE', `store operation failed: ${what}`, { cause: err });
  }
}

/** Runs a synchronous driver call, mapping its failure with {@link toStoreError}. */
export function attempt<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toStoreError(err, what);
  }
}
