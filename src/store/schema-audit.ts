/** Migration 3: the audit event chain and its checkpoints (filled in by the audit work). */
export const AUDIT_SCHEMA = `SELECT 1;`;
