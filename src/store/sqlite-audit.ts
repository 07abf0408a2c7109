import type { SQLInputValue } from 'node:sqlite';
import type { WorkspaceId } from '../core/index.ts';
import { corrupt, int, type Row, text, textOrNull } from './rows.ts';
import type { SqliteConn } from './sqlite-conn.ts';
import type {
  AuditActivityRow,
  AuditAnchorRecord,
  AuditRow,
  AuditRowFilter,
  AuditStoreOps,
} from './types-audit.ts';

/** Kinds the access review counts: credential uses and refusals. */
const ACTIVITY_KINDS = `('proxy.request', 'proxy.denied', 'proxy.exfiltration_attempt')`;

function decision(row: Row, column: string): 'allow' | 'deny' | null {
  const v = textOrNull(row, column);
  if (v !== null && v !== 'allow' && v !== 'deny') throw corrupt(column);
  return v;
}

function toAuditRow(row: Row): AuditRow {
  return {
    seq: int(row, 'seq'),
    id: text(row, 'id'),
    timeMs: int(row, 'time_ms'),
    workspaceId: text(row, 'workspace_id') as WorkspaceId,
    kind: text(row, 'kind'),
    agentId: textOrNull(row, 'agent_id'),
    agentName: textOrNull(row, 'agent_name'),
    taskId: textOrNull(row, 'task_id'),
    service: textOrNull(row, 'service'),
    grantId: textOrNull(row, 'grant_id'),
    decision: decision(row, 'decision'),
    event: text(row, 'event'),
    prevHash: text(row, 'prev_hash'),
    hash: text(row, 'hash'),
  };
}

function toAnchor(row: Row): AuditAnchorRecord {
  const kind = text(row, 'kind');
  if (kind !== 'head' && kind !== 'base') throw corrupt('kind');
  return {
    kind,
    seq: int(row, 'seq'),
    hash: text(row, 'hash'),
    timeMs: int(row, 'time_ms'),
    keyId: text(row, 'key_id'),
    signature: text(row, 'signature'),
  };
}

function toActivity(row: Row): AuditActivityRow {
  const d = decision(row, 'decision');
  if (d === null) throw corrupt('decision');
  return {
    agentId: text(row, 'agent_id'),
    agentName: textOrNull(row, 'agent_name'),
    service: textOrNull(row, 'service'),
    grantId: textOrNull(row, 'grant_id'),
    decision: d,
    count: int(row, 'n'),
    lastMs: int(row, 'last_ms'),
  };
}

const INSERT_ROW = `INSERT INTO audit_events
  (seq, id, time_ms, workspace_id, kind, agent_id, agent_name, task_id, service, grant_id,
   decision, event, prev_hash, hash)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

const UPSERT_ANCHOR = `INSERT INTO audit_anchors (kind, seq, hash, time_ms, key_id, signature)
  VALUES (?, ?, ?, ?, ?, ?)
  ON CONFLICT (kind) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
    time_ms = excluded.time_ms, key_id = excluded.key_id, signature = excluded.signature`;

function anchorParams(a: AuditAnchorRecord): SQLInputValue[] {
  return [a.kind, a.seq, a.hash, a.timeMs, a.keyId, a.signature];
}

/**
 * Builds the WHERE clause and parameters for a query. The SQL text depends
 * only on which filters are present, never on their values, so the
 * connection's statement cache stays small and every value is bound.
 */
function whereOf(f: AuditRowFilter): { sql: string; params: SQLInputValue[] } {
  const terms = ['workspace_id = ?'];
  const params: SQLInputValue[] = [f.workspaceId];
  const add = (term: string, ...values: SQLInputValue[]) => {
    terms.push(term);
    params.push(...values);
  };
  if (f.agent !== undefined) {
    add(f.agent.startsWith('agt_') ? 'agent_id = ?' : 'agent_name = ?', f.agent);
  }
  if (f.task !== undefined) add('task_id = ?', f.task);
  if (f.service !== undefined) add('service = ?', f.service);
  if (f.decision !== undefined) add('decision = ?', f.decision);
  if (f.kind !== undefined) {
    if (f.kind.endsWith('.')) add('substr(kind, 1, ?) = ?', f.kind.length, f.kind);
    else add('kind = ?', f.kind);
  }
  if (f.sinceMs !== undefined) add('time_ms >= ?', f.sinceMs);
  if (f.untilMs !== undefined) add('time_ms < ?', f.untilMs);
  if (f.afterSeq !== undefined) add('seq > ?', f.afterSeq);
  if (f.beforeSeq !== undefined) add('seq < ?', f.beforeSeq);
  return { sql: terms.join(' AND '), params };
}

/**
 * The audit operations on one SQLite connection, unlocked: `openSqliteStore`
 * serialises callers. An append is one `BEGIN IMMEDIATE … COMMIT` (or a
 * savepoint inside a caller's transaction); with `synchronous = FULL` the
 * commit is on disk when the promise resolves.
 */
export function sqliteAuditOps(conn: SqliteConn): AuditStoreOps {
  return {
    async appendAuditRows(rows, head) {
      if (head.kind !== 'head') throw new TypeError('appendAuditRows takes the head anchor');
      conn.atomic('audit event', () => {
        for (const r of rows) {
          conn.run(
            'audit event',
            INSERT_ROW,
            r.seq,
            r.id,
            r.timeMs,
            r.workspaceId,
            r.kind,
            r.agentId,
            r.agentName,
            r.taskId,
            r.service,
            r.grantId,
            r.decision,
            r.event,
            r.prevHash,
            r.hash,
          );
        }
        conn.run('audit anchor', UPSERT_ANCHOR, ...anchorParams(head));
      });
    },
    async lastAuditRow() {
      const row = conn.one('audit event', 'SELECT * FROM audit_events ORDER BY seq DESC LIMIT 1');
      return row === undefined ? null : toAuditRow(row);
    },
    async scanAuditRows(afterSeq, limit) {
      return conn
        .many(
          'audit event',
          'SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?',
          afterSeq,
          limit,
        )
        .map(toAuditRow);
    },
    async queryAuditRows(filter) {
      const { sql, params } = whereOf(filter);
      const order = filter.order === 'asc' ? 'ASC' : 'DESC';
      return conn
        .many(
          'audit event',
          `SELECT * FROM audit_events WHERE ${sql} ORDER BY seq ${order} LIMIT ?`,
          ...params,
          filter.limit,
        )
        .map(toAuditRow);
    },
    async getAuditAnchor(kind) {
      const row = conn.one('audit anchor', 'SELECT * FROM audit_anchors WHERE kind = ?', kind);
      return row === undefined ? null : toAnchor(row);
    },
    async putAuditAnchor(anchor) {
      conn.run('audit anchor', UPSERT_ANCHOR, ...anchorParams(anchor));
    },
    async auditPruneBoundary(beforeMs) {
      // The first event at or after the cut-off stops the prefix, even if a
      // later one carries an earlier time (a clock step): prune only ever
      // removes a prefix of the chain.
      const row = conn.one(
        'audit event',
        `SELECT * FROM audit_events
         WHERE seq < COALESCE((SELECT MIN(seq) FROM audit_events WHERE time_ms >= ?), 9007199254740991)
         ORDER BY seq DESC LIMIT 1`,
        beforeMs,
      );
      return row === undefined ? null : toAuditRow(row);
    },
    async deleteAuditRowsThrough(seq) {
      return conn.run('audit event', 'DELETE FROM audit_events WHERE seq <= ?', seq);
    },
    async auditActivity(ws, sinceMs, untilMs) {
      return conn
        .many(
          'audit event',
          `SELECT agent_id, MAX(agent_name) AS agent_name, service, grant_id, decision,
                  COUNT(*) AS n, MAX(time_ms) AS last_ms
           FROM audit_events
           WHERE workspace_id = ? AND time_ms >= ? AND time_ms < ?
             AND agent_id IS NOT NULL AND decision IS NOT NULL AND kind IN ${ACTIVITY_KINDS}
           GROUP BY agent_id, service, grant_id, decision`,
          ws,
          sinceMs,
          untilMs,
        )
        .map(toActivity);
    },
    async liveTokensOf(ws, agentId, now) {
      return conn
        .many(
          'task token',
          `SELECT t.jti, t.task_id, t.parent_jti, t.expires_at
           FROM tokens t JOIN tasks k ON k.workspace_id = t.workspace_id AND k.id = t.task_id
           WHERE t.workspace_id = ? AND t.agent_id = ? AND t.expires_at > ?
             AND t.revoked_at IS NULL AND k.revoked_at IS NULL
           ORDER BY t.expires_at, t.jti`,
          ws,
          agentId,
          now,
        )
        .map((row) => ({
          jti: text(row, 'jti'),
          taskId: text(row, 'task_id'),
          parentJti: textOrNull(row, 'parent_jti'),
          expiresAt: int(row, 'expires_at'),
        }));
    },
  };
}
