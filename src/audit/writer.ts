import { AirlockError, type Clock, newTimeOrderedId } from '../core/index.ts';
import type { AuditRow, Store } from '../store/index.ts';
import { type AnchorSigner, headAnchor } from './anchor.ts';
import { canonicalJson } from './canonical.ts';
import { type ChainPoint, chainHash, indexOf } from './chain.ts';
import { assertAuditSafe } from './guard.ts';
import type { AuditEvent, AuditRecord } from './schema.ts';

/** Where an appended event landed in the chain. */
export interface AuditReceipt {
  readonly seq: number;
  readonly id: string;
  readonly hash: string;
}

/** Options for {@link AuditWriter}. */
export interface AuditWriterOptions {
  readonly store: Store;
  readonly signer: AnchorSigner;
  /** The install's id; signed into every anchor. */
  readonly instance: string;
  readonly clock: Clock;
  /**
   * How long the first event of a batch waits for company, in ms. 0 (the
   * default) waits only for the event loop to turn: every event submitted
   * in the same tick commits in the same transaction.
   */
  readonly windowMs?: number;
  /** Most events per transaction (default 1024). 1 turns group commit off. */
  readonly maxBatch?: number;
  /**
   * How long a deferred event (`append(e, { defer: true })`) may wait for
   * the next commit, in ms (default 50). It rides along with the next
   * event that cannot wait, or commits alone when this runs out.
   */
  readonly deferMs?: number;
}

/** How an event is appended. */
export interface AppendOptions {
  /**
   * Nobody is waiting on this event's durability (an outcome or refusal
   * recorded after the fact): commit it with the next event that is waited
   * on, or within `deferMs`. Its position in the chain is still the order
   * of `append` calls.
   */
  readonly defer?: boolean;
}

interface Pending {
  readonly event: AuditEvent;
  readonly json: string;
  resolve(receipt: AuditReceipt): void;
  reject(err: unknown): void;
}

/** A FIFO lane: one commit (or snapshot) at a time, in order. */
class Lane {
  #tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    this.#tail = result.catch(() => {});
    return result;
  }
}

/**
 * Appends audit events to the hash chain with group commit.
 *
 * `append` checks the event (the guard, canonical JSON) at once, queues it,
 * and resolves only after the transaction holding it has committed: with
 * the store's `synchronous = FULL`, that is after the WAL is on disk, so the
 * proxy may forward a request once its event's `append` has resolved.
 * Events submitted while a commit is pending share the next transaction, so
 * the cost of the sync is paid once per batch, not once per event.
 *
 * Each batch is chained from the in-memory head (sequence number and hash of
 * the last committed event) and commits together with a newly signed head
 * anchor. A failed commit rejects every event of its batch with
 * `ERR_AUDIT_UNAVAILABLE` and leaves the head where it was.
 */
export class AuditWriter {
  readonly #store: Store;
  readonly #signer: AnchorSigner;
  readonly #instance: string;
  readonly #clock: Clock;
  readonly #windowMs: number;
  readonly #maxBatch: number;
  readonly #deferMs: number;
  readonly #lane = new Lane();
  readonly #listeners = new Set<(records: readonly AuditRecord[]) => void>();
  #queue: Pending[] = [];
  /** A drain is due at the next turn (or after the window). */
  #scheduled = false;
  /** The timer that commits deferred events no urgent one has carried. */
  #deferTimer: ReturnType<typeof setTimeout> | null = null;
  #closed = false;
  #head: ChainPoint;

  /** Starts a writer whose chain continues from `head`. Use `openAuditLog` rather than this. */
  constructor(opts: AuditWriterOptions, head: ChainPoint) {
    const windowMs = opts.windowMs ?? 0;
    const maxBatch = opts.maxBatch ?? 1024;
    const deferMs = opts.deferMs ?? 50;
    if (!Number.isInteger(deferMs) || deferMs < 0 || deferMs > 10_000) {
      throw new TypeError('deferMs must be an integer in 0..10000');
    }
    if (!Number.isInteger(windowMs) || windowMs < 0 || windowMs > 1000) {
      throw new TypeError('windowMs must be an integer in 0..1000');
    }
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 100_000) {
      throw new TypeError('maxBatch must be an integer in 1..100000');
    }
    this.#store = opts.store;
    this.#signer = opts.signer;
    this.#instance = opts.instance;
    this.#clock = opts.clock;
    this.#windowMs = windowMs;
    this.#maxBatch = maxBatch;
    this.#deferMs = deferMs;
    this.#head = head;
  }

  /** The last committed position. */
  get head(): ChainPoint {
    return this.#head;
  }

  /**
   * Appends `event` and resolves once it is durable. Rejects at once with
   * `ERR_AUDIT_REFUSED` for an event the guard refuses, and with
   * `ERR_AUDIT_UNAVAILABLE` after `close()` or when its commit fails.
   */
  append(event: AuditEvent, opts: AppendOptions = {}): Promise<AuditReceipt> {
    try {
      if (this.#closed) throw new AirlockError('ERR_AUDIT_UNAVAILABLE', 'the audit log is closed');
      const json = canonicalJson(event);
      assertAuditSafe(event, json);
      return new Promise<AuditReceipt>((resolve, reject) => {
        this.#queue.push({ event, json, resolve, reject });
        if (opts.defer === true) this.#scheduleDeferred();
        else this.#schedule();
      });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Calls `listener` with every committed batch, in chain order. Returns the unsubscribe function. */
  onCommit(listener: (records: readonly AuditRecord[]) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs `fn` between commits, with the head as of then: nothing is
   * appended while it runs. For verify's snapshot and for prune.
   */
  exclusive<T>(fn: (head: ChainPoint) => Promise<T>): Promise<T> {
    return this.#lane.run(() => fn(this.#head));
  }

  /** Resolves once every event appended so far has been committed or rejected. */
  flush(): Promise<void> {
    return this.#lane.run(() => this.#drain());
  }

  /** Commits what is queued, then refuses further appends. */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#deferTimer !== null) clearTimeout(this.#deferTimer);
    this.#deferTimer = null;
    await this.flush();
  }

  #scheduleDeferred(): void {
    if (this.#scheduled || this.#deferTimer !== null) return;
    this.#deferTimer = setTimeout(() => {
      this.#deferTimer = null;
      this.#schedule();
    }, this.#deferMs);
    // close() flushes; a pending timer must not keep the process alive.
    this.#deferTimer.unref();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#deferTimer !== null) {
      clearTimeout(this.#deferTimer);
      this.#deferTimer = null;
    }
    const run = () => {
      void this.#lane.run(() => this.#drain());
    };
    if (this.#windowMs > 0) setTimeout(run, this.#windowMs);
    else setImmediate(run);
  }

  async #drain(): Promise<void> {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      await this.#commit(batch);
    }
  }

  async #commit(batch: readonly Pending[]): Promise<void> {
    let head = this.#head;
    const rows: AuditRow[] = [];
    const now = this.#clock.now();
    for (const p of batch) {
      const seq = head.seq + 1;
      // Time-ordered: the id index takes each batch on its last page.
      const id = newTimeOrderedId<string>('evt', now);
      const hash = chainHash(seq, id, head.hash, p.json);
      rows.push({ seq, id, prevHash: head.hash, hash, event: p.json, ...indexOf(p.event) });
      head = { seq, hash };
    }
    const anchor = headAnchor(this.#signer, this.#instance, head, now);
    try {
      await this.#store.appendAuditRows(rows, anchor);
    } catch (cause) {
      const err = new AirlockError('ERR_AUDIT_UNAVAILABLE', 'the audit log could not be written', {
        cause,
      });
      for (const p of batch) p.reject(err);
      return;
    }
    this.#head = head;
    const records: AuditRecord[] = rows.map((r, i) => ({
      seq: r.seq,
      id: r.id,
      prevHash: r.prevHash,
      hash: r.hash,
      event: (batch[i] as Pending).event,
    }));
    for (const [i, p] of batch.entries()) {
      const r = rows[i] as AuditRow;
      p.resolve({ seq: r.seq, id: r.id, hash: r.hash });
    }
    for (const listener of this.#listeners) {
      try {
        listener(records);
      } catch {
        // A listener (the file sink, a tail) must never undo or delay a commit.
      }
    }
  }
}
