import type { AuditAnchorRecord, AuditRow, StoreOps } from '../store/index.ts';
import { type AnchorSigner, anchorValid } from './anchor.ts';
import { canonicalJson } from './canonical.ts';
import { type ChainPoint, chainHash, GENESIS_HASH, indexOf } from './chain.ts';
import type { AuditEvent } from './schema.ts';

/** What broke. Every code names the first event (by id) where the chain stops holding. */
export type ChainProblemCode =
  | 'hash_mismatch'
  | 'seq_gap'
  | 'prev_mismatch'
  | 'not_canonical'
  | 'index_mismatch'
  | 'truncated'
  | 'head_missing'
  | 'head_invalid'
  | 'head_mismatch'
  | 'base_invalid';

/** The first broken link found. */
export interface ChainProblem {
  readonly code: ChainProblemCode;
  /** The event where the chain stops holding, or null when the problem is an anchor. */
  readonly id: string | null;
  readonly seq: number | null;
  readonly message: string;
}

/** The outcome of {@link verifyChain}. */
export interface VerifyReport {
  readonly ok: boolean;
  /** Events whose hash and link were checked before the first problem (or all of them). */
  readonly checked: number;
  readonly first: { readonly seq: number; readonly id: string } | null;
  readonly last: { readonly seq: number; readonly id: string } | null;
  /** The signed checkpoint the chain starts from after a prune. */
  readonly base: ChainPoint | null;
  /** The signed head: the last committed event as of the check. */
  readonly head: ChainPoint | null;
  /** The Ed25519 key (id) the anchors must be signed with. */
  readonly keyId: string;
  readonly problem: ChainProblem | null;
}

/** Inputs to {@link verifyChain}. */
export interface VerifyInput {
  readonly store: StoreOps;
  readonly signer: AnchorSigner;
  readonly instance: string;
  /** The head anchor as read between commits; rows after it (appended since) are not checked. */
  readonly head: AuditAnchorRecord | null;
  /** The running writer's head at the same moment, which the stored head must equal. */
  readonly expected?: ChainPoint;
  /** Rows read per store call (default 2000). */
  readonly pageSize?: number;
}

type Step = { ok: true; point: ChainPoint } | { ok: false; problem: ChainProblem };

function problem(code: ChainProblemCode, row: AuditRow | null, message: string): Step {
  return { ok: false, problem: { code, id: row?.id ?? null, seq: row?.seq ?? null, message } };
}

function parseEvent(text: string): AuditEvent | null {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && canonicalJson(parsed) === text
      ? (parsed as AuditEvent)
      : null;
  } catch {
    return null;
  }
}

function sameIndex(row: AuditRow, event: AuditEvent): boolean {
  const want = indexOf(event);
  return (
    want.timeMs === row.timeMs &&
    want.workspaceId === row.workspaceId &&
    want.kind === row.kind &&
    want.agentId === row.agentId &&
    want.agentName === row.agentName &&
    want.taskId === row.taskId &&
    want.service === row.service &&
    want.grantId === row.grantId &&
    want.decision === row.decision
  );
}

/** Checks one row against its predecessor `prev` (null before the first row). */
function checkRow(row: AuditRow, prev: AuditRow | null, expect: ChainPoint): Step {
  if (chainHash(row.seq, row.id, row.prevHash, row.event) !== row.hash) {
    return problem(
      'hash_mismatch',
      row,
      `event ${row.id} (seq ${row.seq}) does not match its hash: it was altered or moved`,
    );
  }
  if (row.seq !== expect.seq + 1) {
    return problem(
      'seq_gap',
      row,
      prev === null
        ? `the chain should start at seq ${expect.seq + 1} but starts at ${row.id} (seq ${row.seq}): the events before it were removed`
        : `events are missing between ${prev.id} (seq ${prev.seq}) and ${row.id} (seq ${row.seq})`,
    );
  }
  if (row.prevHash !== expect.hash) {
    return problem(
      'prev_mismatch',
      row,
      prev === null
        ? `event ${row.id} (seq ${row.seq}) does not follow the chain's start: the events before it were replaced`
        : `event ${row.id} (seq ${row.seq}) does not follow ${prev.id} (seq ${prev.seq}): that event was altered or replaced`,
    );
  }
  const event = parseEvent(row.event);
  if (event === null) {
    return problem('not_canonical', row, `event ${row.id} (seq ${row.seq}) is not canonical JSON`);
  }
  if (!sameIndex(row, event)) {
    return problem(
      'index_mismatch',
      row,
      `event ${row.id} (seq ${row.seq}) has filter columns that disagree with its content: they were edited`,
    );
  }
  return { ok: true, point: { seq: row.seq, hash: row.hash } };
}

/**
 * Walks the chain from its start (the signed base after a prune, else
 * genesis) to the signed head and reports the first broken link by id:
 * - an edited event fails its own hash (`hash_mismatch`), or, if its hash
 *   was recomputed too, breaks the next event's link (`prev_mismatch`);
 * - a deleted event leaves a gap in the sequence (`seq_gap`);
 * - a moved (reordered) event fails its hash, which covers its position;
 * - a truncated tail no longer reaches the signed head (`truncated`);
 * - a forged or missing anchor fails its MAC (head) or Ed25519 signature (base).
 * Edited filter columns (`index_mismatch`) are caught too, since they decide
 * what a query shows.
 */
export async function verifyChain(input: VerifyInput): Promise<VerifyReport> {
  const { store, signer, instance, head } = input;
  const pageSize = input.pageSize ?? 2000;
  const base = await store.getAuditAnchor('base');
  const headPoint = head === null ? null : { seq: head.seq, hash: head.hash };
  const basePoint = base === null ? null : { seq: base.seq, hash: base.hash };
  let checked = 0;
  let first: AuditRow | null = null;
  let prev: AuditRow | null = null;
  const report = (p: ChainProblem | null): VerifyReport => ({
    ok: p === null,
    checked,
    first: first === null ? null : { seq: first.seq, id: first.id },
    last: prev === null ? null : { seq: prev.seq, id: prev.id },
    base: basePoint,
    head: headPoint,
    keyId: signer.keyId,
    problem: p,
  });

  if (base !== null && !anchorValid(signer, instance, base)) {
    return report({
      code: 'base_invalid',
      id: null,
      seq: base.seq,
      message: 'the signed checkpoint the chain starts from has an invalid signature',
    });
  }
  const limit = head?.seq ?? Number.MAX_SAFE_INTEGER;
  let point: ChainPoint = basePoint ?? { seq: 0, hash: GENESIS_HASH };
  for (;;) {
    const rows = await store.scanAuditRows(prev?.seq ?? point.seq, pageSize);
    for (const row of rows) {
      if (row.seq > limit) break;
      const step = checkRow(row, prev, point);
      if (!step.ok) return report(step.problem);
      point = step.point;
      first ??= row;
      prev = row;
      checked++;
    }
    const lastRow = rows.at(-1);
    if (rows.length < pageSize || lastRow === undefined || lastRow.seq >= limit) break;
  }
  return report(checkHead(input, point, prev));
}

function checkHead(
  input: VerifyInput,
  end: ChainPoint,
  last: AuditRow | null,
): ChainProblem | null {
  const { head, expected } = input;
  if (head === null) {
    if (last === null) return null;
    return {
      code: 'head_missing',
      id: null,
      seq: null,
      message: 'the signed head is missing: the end of the chain cannot be confirmed',
    };
  }
  if (!anchorValid(input.signer, input.instance, head)) {
    return {
      code: 'head_invalid',
      id: null,
      seq: head.seq,
      message: 'the signed head has an invalid signature',
    };
  }
  if (head.seq > end.seq) {
    const after = last === null ? 'the chain start' : `${last.id} (seq ${last.seq})`;
    return {
      code: 'truncated',
      id: last?.id ?? null,
      seq: last?.seq ?? null,
      message: `the chain ends at ${after} but the signed head is at seq ${head.seq}: ${head.seq - end.seq} event(s) after it were removed`,
    };
  }
  if (head.hash !== end.hash) {
    return {
      code: 'head_mismatch',
      id: last?.id ?? null,
      seq: end.seq,
      message: `the last event${last === null ? '' : ` ${last.id}`} does not match the signed head`,
    };
  }
  if (expected !== undefined && (expected.seq !== head.seq || expected.hash !== head.hash)) {
    return {
      code: 'head_mismatch',
      id: null,
      seq: head.seq,
      message: 'the stored head differs from the running writer: the anchor was replaced',
    };
  }
  return null;
}
