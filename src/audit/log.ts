import { AirlockError, type WorkspaceId } from '../core/index.ts';
import type { AuditAnchorRecord, AuditRow, Store } from '../store/index.ts';
import { type AnchorSigner, anchorValid, signAnchor } from './anchor.ts';
import type { AuditContext } from './build.ts';
import { type ChainPoint, GENESIS_HASH, toRecord } from './chain.ts';
import { type AuditPage, type AuditQuery, toRowFilter } from './query.ts';
import type { AuditAnomalyEvent, AuditEvent, AuditRecord } from './schema.ts';
import { type VerifyReport, verifyChain } from './verify.ts';
import {
  type AppendOptions,
  type AuditReceipt,
  AuditWriter,
  type AuditWriterOptions,
} from './writer.ts';

/** Options for {@link openAuditLog}. */
export interface AuditLogOptions extends AuditWriterOptions {
  /** Where instance-level events (failed admin logins, anomalies) are recorded. */
  readonly defaultWorkspace: WorkspaceId;
}

/** What `prune` removed, and the signed checkpoint the chain now starts from. */
export interface PruneReport {
  readonly removed: number;
  readonly base: { readonly seq: number; readonly hash: string; readonly id: string } | null;
}

type Anomaly = AuditAnomalyEvent['anomaly'];

/**
 * Decides where the writer resumes and whether the stored end of the chain
 * disagrees with its signed head. When the head is ahead (the table was
 * truncated while Airlock was down), the writer resumes from the head, so
 * the gap stays in the chain for `verify` to report.
 */
function resumePoint(
  signer: AnchorSigner,
  instance: string,
  last: AuditRow | null,
  head: AuditAnchorRecord | null,
  base: AuditAnchorRecord | null,
): { point: ChainPoint; anomaly: Anomaly | null; tableSeq: number } {
  const table: ChainPoint =
    last !== null
      ? { seq: last.seq, hash: last.hash }
      : base !== null
        ? { seq: base.seq, hash: base.hash }
        : { seq: 0, hash: GENESIS_HASH };
  const result = (point: ChainPoint, anomaly: Anomaly | null) => ({
    point,
    anomaly,
    tableSeq: table.seq,
  });
  if (head === null) return result(table, last === null ? null : 'head_missing');
  if (!anchorValid(signer, instance, head)) return result(table, 'head_invalid');
  const signed = { seq: head.seq, hash: head.hash };
  if (head.seq > table.seq) return result(signed, 'head_ahead');
  if (head.seq < table.seq) return result(table, 'head_behind');
  return result(table, head.hash === table.hash ? null : 'head_forked');
}

/**
 * Opens the audit log on `store`: resumes the chain where it ends, and if
 * the end disagrees with the signed head, records an `audit.anomaly` event
 * first, so tampering done while Airlock was stopped stays on record.
 */
export async function openAuditLog(opts: AuditLogOptions): Promise<AuditLog> {
  const { store, signer, instance } = opts;
  const last = await store.lastAuditRow();
  const head = await store.getAuditAnchor('head');
  const base = await store.getAuditAnchor('base');
  const { point, anomaly, tableSeq } = resumePoint(signer, instance, last, head, base);
  const log = new AuditLog(opts, new AuditWriter(opts, point));
  if (anomaly !== null) {
    await log.append({
      v: 1,
      kind: 'audit.anomaly',
      time: new Date(opts.clock.now()).toISOString(),
      instance,
      workspace: opts.defaultWorkspace,
      actor: { type: 'system', id: null, name: null, role: null, tokenId: null, taskId: null },
      chain: [],
      anomaly,
      tableSeq,
      headSeq: head?.seq ?? null,
    });
  }
  return log;
}

/**
 * The audit trail of one install: the writer (hash chain, group commit),
 * queries, verification, pruning, and a wake-up for followers. Built once
 * by the composition root with {@link openAuditLog}.
 */
export class AuditLog {
  readonly #store: Store;
  readonly #writer: AuditWriter;
  readonly #signer: AnchorSigner;
  readonly #waiters = new Set<() => void>();
  #closed = false;
  /** Instance, default workspace and clock, for the event builders. */
  readonly context: AuditContext;

  /** Use {@link openAuditLog}. */
  constructor(opts: AuditLogOptions, writer: AuditWriter) {
    this.#store = opts.store;
    this.#writer = writer;
    this.#signer = opts.signer;
    this.context = {
      instance: opts.instance,
      defaultWorkspace: opts.defaultWorkspace,
      clock: opts.clock,
    };
    writer.onCommit(() => this.#wake());
  }

  /** The key anchors are signed with: its id and public key (SPKI PEM). */
  get signingKey(): { readonly keyId: string; readonly publicKeyPem: string } {
    return { keyId: this.#signer.keyId, publicKeyPem: this.#signer.publicKeyPem };
  }

  /** Appends `event`; resolves once it is durable (see {@link AuditWriter.append}). */
  append(event: AuditEvent, opts?: AppendOptions): Promise<AuditReceipt> {
    return this.#writer.append(event, opts);
  }

  /** Calls `listener` with every committed batch (the file sink, followers). */
  onCommit(listener: (records: readonly AuditRecord[]) => void): () => void {
    return this.#writer.onCommit(listener);
  }

  /** One page of workspace `ws`'s events matching `query`, with keyset paging. */
  async query(ws: WorkspaceId, query: AuditQuery): Promise<AuditPage> {
    const rows = await this.#store.queryAuditRows(toRowFilter(ws, query));
    const last = rows.at(-1);
    return {
      events: rows.map(toRecord),
      next: last === undefined ? (query.cursor ?? null) : String(last.seq),
      more: rows.length === query.limit,
    };
  }

  /**
   * Resolves at the next commit, after `timeoutMs`, when `signal` aborts, or
   * when the log closes, whichever is first. Followers (`audit tail -f`)
   * long-poll with it instead of sleeping.
   */
  waitForCommit(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      if (signal?.aborted === true) return done();
      this.#waiters.add(done);
    });
  }

  /** Verifies the whole chain against the signed anchors and the running writer's head. */
  async verify(): Promise<VerifyReport> {
    const snapshot = await this.#writer.exclusive(async (expected) => ({
      expected,
      head: await this.#store.getAuditAnchor('head'),
    }));
    return verifyChain({
      store: this.#store,
      signer: this.#signer,
      instance: this.context.instance,
      head: snapshot.head,
      expected: snapshot.expected,
    });
  }

  /**
   * Removes the events before `beforeMs` (only ever a prefix of the chain)
   * and records a signed `base` checkpoint at the last one removed, so what
   * remains still verifies. Refuses with `ERR_AUDIT_CHAIN_BROKEN`, removing
   * nothing, when the chain does not verify: evidence of tampering is never
   * pruned away.
   */
  async prune(beforeMs: number): Promise<PruneReport> {
    if (!Number.isSafeInteger(beforeMs)) throw new TypeError('beforeMs must be an integer');
    const report = await this.verify();
    if (!report.ok) {
      throw new AirlockError(
        'ERR_AUDIT_CHAIN_BROKEN',
        `refusing to prune a chain that does not verify: ${report.problem?.message ?? 'broken'}`,
      );
    }
    return this.#writer.exclusive(() =>
      this.#store.transaction(async (tx) => {
        const last = await tx.auditPruneBoundary(beforeMs);
        if (last === null) return { removed: 0, base: null };
        const point = { seq: last.seq, hash: last.hash };
        const anchor = signAnchor(
          this.#signer,
          this.context.instance,
          'base',
          point,
          this.context.clock.now(),
        );
        const removed = await tx.deleteAuditRowsThrough(last.seq);
        await tx.putAuditAnchor(anchor);
        return { removed, base: { ...point, id: last.id } };
      }),
    );
  }

  /** Resolves once everything appended so far is committed (or failed). */
  flush(): Promise<void> {
    return this.#writer.flush();
  }

  /** Commits what is queued, refuses further appends, and releases every follower. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#wake();
    await this.#writer.close();
  }

  #wake(): void {
    for (const done of [...this.#waiters]) done();
  }
}
