import type { AuditStoreOps } from './types-audit.ts';

/** `ops` with every audit call passed through `gate`: the audit part of `gateOps`. */
export function gateAuditOps(
  ops: AuditStoreOps,
  gate: <T>(op: () => Promise<T>) => Promise<T>,
): AuditStoreOps {
  return {
    appendAuditRows: (rows, head) => gate(() => ops.appendAuditRows(rows, head)),
    lastAuditRow: () => gate(() => ops.lastAuditRow()),
    scanAuditRows: (after, limit) => gate(() => ops.scanAuditRows(after, limit)),
    queryAuditRows: (filter) => gate(() => ops.queryAuditRows(filter)),
    getAuditAnchor: (kind) => gate(() => ops.getAuditAnchor(kind)),
    putAuditAnchor: (anchor) => gate(() => ops.putAuditAnchor(anchor)),
    auditPruneBoundary: (before) => gate(() => ops.auditPruneBoundary(before)),
    deleteAuditRowsThrough: (seq) => gate(() => ops.deleteAuditRowsThrough(seq)),
    auditActivity: (ws, since, until) => gate(() => ops.auditActivity(ws, since, until)),
    liveTokensOf: (ws, agent, now) => gate(() => ops.liveTokensOf(ws, agent, now)),
  };
}
