import type { WorkspaceId } from '../core/index.ts';

/**
 * One audit event as the store keeps it. `event` is the event's canonical
 * JSON, exactly the text that was hashed; the other columns are copies of
 * its fields for filtering, and `verify` checks that they still agree.
 */
export interface AuditRow {
  /** Position in the chain: from 1, no gaps, until a prune removes a prefix. */
  readonly seq: number;
  readonly id: string;
  readonly timeMs: number;
  readonly workspaceId: WorkspaceId;
  readonly kind: string;
  readonly agentId: string | null;
  readonly agentName: string | null;
  readonly taskId: string | null;
  readonly service: string | null;
  readonly grantId: string | null;
  readonly decision: 'allow' | 'deny' | null;
  readonly event: string;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * A signed point in the chain. `head` names the last committed event and is
 * replaced in the same transaction as every append, so a truncated table no
 * longer reaches it. `base` names the last event a prune removed: the chain
 * that remains starts from it.
 */
export interface AuditAnchorRecord {
  readonly kind: 'head' | 'base';
  readonly seq: number;
  readonly hash: string;
  readonly timeMs: number;
  readonly keyId: string;
  /** Ed25519 signature (base64url) over the anchor's canonical JSON. */
  readonly signature: string;
}

/** Filters for {@link AuditStoreOps.queryAuditRows}. Every given filter must match. */
export interface AuditRowFilter {
  readonly workspaceId: WorkspaceId;
  /** Agent id (`agt_…`) or name. */
  readonly agent?: string;
  readonly task?: string;
  readonly service?: string;
  readonly decision?: 'allow' | 'deny';
  /** An exact kind, or a prefix ending in `.` (`proxy.`). */
  readonly kind?: string;
  /** Inclusive lower bound on the event time (ms). */
  readonly sinceMs?: number;
  /** Exclusive upper bound on the event time (ms). */
  readonly untilMs?: number;
  /** Keyset cursor: only rows after (asc) or before (desc) this sequence number. */
  readonly afterSeq?: number;
  readonly beforeSeq?: number;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
}

/** Per agent, service, grant and decision: how many proxy events, and the latest one's time. */
export interface AuditActivityRow {
  readonly agentId: string;
  readonly agentName: string | null;
  readonly service: string | null;
  readonly grantId: string | null;
  readonly decision: 'allow' | 'deny';
  readonly count: number;
  readonly lastMs: number;
}

/** A task token that is still live, as the access review lists it. */
export interface LiveTokenRow {
  readonly jti: string;
  readonly taskId: string;
  readonly parentJti: string | null;
  readonly expiresAt: number;
}

/** The audit trail's part of `StoreOps`. */
export interface AuditStoreOps {
  /** Inserts `rows` (in `seq` order) and replaces the head anchor, all in one transaction. */
  appendAuditRows(rows: readonly AuditRow[], head: AuditAnchorRecord): Promise<void>;
  /** The row with the highest `seq`, or null. */
  lastAuditRow(): Promise<AuditRow | null>;
  /** Up to `limit` rows with `seq > afterSeq`, ascending, across every workspace (for verify). */
  scanAuditRows(afterSeq: number, limit: number): Promise<AuditRow[]>;
  /** One page of one workspace's rows matching `filter`, in `filter.order` of `seq`. */
  queryAuditRows(filter: AuditRowFilter): Promise<AuditRow[]>;
  getAuditAnchor(kind: 'head' | 'base'): Promise<AuditAnchorRecord | null>;
  putAuditAnchor(anchor: AuditAnchorRecord): Promise<void>;
  /**
   * The last row of the longest prefix of the chain whose events are all
   * before `beforeMs`, or null when the first row is not: what a prune up
   * to `beforeMs` removes, without ever removing a later event.
   */
  auditPruneBoundary(beforeMs: number): Promise<AuditRow | null>;
  /** Deletes every row with `seq <= seq`; returns how many. */
  deleteAuditRowsThrough(seq: number): Promise<number>;
  /** Proxy activity of one workspace in `[sinceMs, untilMs)`, grouped for the access review. */
  auditActivity(ws: WorkspaceId, sinceMs: number, untilMs: number): Promise<AuditActivityRow[]>;
  /**
   * The agent's task tokens that are live at `now` (not expired, and neither
   * the token nor its task revoked), soonest expiry first: the access
   * review's "live tokens". Read from the tokens tables of migration 2.
   */
  liveTokensOf(ws: WorkspaceId, agentId: string, now: number): Promise<LiveTokenRow[]>;
}
