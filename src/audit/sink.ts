import { type FileHandle, open } from 'node:fs/promises';
import { AirlockError } from '../core/index.ts';
import { toJsonLine } from './export.ts';
import type { AuditLog } from './log.ts';
import type { AuditRecord } from './schema.ts';

/** A running file sink: stops and closes the file on `close()`. */
export interface AuditFileSink {
  /** Resolves once every line handed to the sink so far is written. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Appends every committed audit event to `path` as one JSON line (the same
 * line as `audit export --format jsonl`), for shipping with standard log
 * tools. The file is opened for append and created 0600. Lines are written
 * after their transaction commits, in chain order, so the file never holds
 * an event the store does not. It is a copy, not the record: a write error
 * is reported through `onError` and never blocks or undoes a commit.
 */
export async function startAuditFileSink(
  log: AuditLog,
  path: string,
  onError: (err: unknown) => void = () => {},
): Promise<AuditFileSink> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'a', 0o600);
  } catch (cause) {
    throw new AirlockError('ERR_CONFIG', 'cannot open the audit file for appending', { cause });
  }
  let tail: Promise<void> = Promise.resolve();
  const write = (records: readonly AuditRecord[]) => {
    const text = records.map(toJsonLine).join('');
    tail = tail.then(() => handle.appendFile(text, 'utf8')).catch(onError);
  };
  const stop = log.onCommit(write);
  return {
    flush: () => tail,
    async close() {
      stop();
      await tail;
      await handle.close();
    },
  };
}
