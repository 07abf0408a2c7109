import type { WorkspaceId } from '../core/index.ts';
import { sha256Hex } from '../crypto/index.ts';
import type { AuditRow } from '../store/index.ts';
import type { AuditEvent, AuditRecord } from './schema.ts';

/** The `prevHash` of the first event of a chain that starts from nothing. */
export const GENESIS_HASH = '0'.repeat(64);

/** A position in the chain: the sequence number and hash of the event there (0 and genesis before any). */
export interface ChainPoint {
  readonly seq: number;
  readonly hash: string;
}

/**
 * The hash that binds an event into the chain: SHA-256 (hex) of the
 * canonical JSON of `{ event, id, prevHash, seq }`. `eventJson` must be the
 * event's canonical JSON; the envelope is assembled with its keys already in
 * RFC 8785 order, so this equals `canonicalJson({ event, id, prevHash, seq })`
 * without re-serialising the event.
 */
export function chainHash(seq: number, id: string, prevHash: string, eventJson: string): string {
  return sha256Hex(
    `{"event":${eventJson},"id":${JSON.stringify(id)},"prevHash":${JSON.stringify(prevHash)},"seq":${seq}}`,
  );
}

/** The columns the store copies out of an event for filtering. */
export interface AuditIndex {
  readonly timeMs: number;
  readonly workspaceId: WorkspaceId;
  readonly kind: string;
  readonly agentId: string | null;
  readonly agentName: string | null;
  readonly taskId: string | null;
  readonly service: string | null;
  readonly grantId: string | null;
  readonly decision: 'allow' | 'deny' | null;
}

/**
 * The filter columns of `event`. The agent is the one that acted, or, for an
 * `agent.*` or `grant.*` change, the one the change was about, so
 * `--agent bot` finds both what bot did and what was done to it.
 */
export function indexOf(event: AuditEvent): AuditIndex {
  const agentActor = event.actor.type === 'agent';
  let agentId = agentActor ? event.actor.id : null;
  let agentName = agentActor ? event.actor.name : null;
  let service: string | null = null;
  let grantId: string | null = null;
  let decision: 'allow' | 'deny' | null = null;
  switch (event.kind) {
    case 'proxy.request':
    case 'proxy.denied':
      service = event.service;
      grantId = event.grant;
      decision = event.decision;
      break;
    case 'proxy.completed':
      service = event.service;
      decision = event.decision;
      break;
    case 'proxy.tunnel':
    case 'proxy.exfiltration_attempt':
    case 'auth.failed':
      decision = event.decision;
      break;
    case 'service.created':
    case 'service.deleted':
      service = event.target.name;
      decision = event.decision;
      break;
    case 'grant.created':
    case 'grant.deleted': {
      const s = event.target.attributes.service;
      const a = event.target.attributes.agent;
      service = typeof s === 'string' ? s : null;
      agentName = typeof a === 'string' ? a : null;
      grantId = event.target.id;
      decision = event.decision;
      break;
    }
    case 'agent.created':
    case 'agent.rotated':
    case 'agent.revoked':
    case 'agent.deleted':
      agentId = event.target.id;
      agentName = event.target.name;
      decision = event.decision;
      break;
    case 'token.issued':
    case 'token.exchanged':
    case 'token.revoked':
    case 'task.started':
    case 'task.ended':
    case 'audit.anomaly':
      break;
    default:
      decision = event.decision;
  }
  return {
    timeMs: Date.parse(event.time),
    workspaceId: event.workspace as WorkspaceId,
    kind: event.kind,
    agentId,
    agentName,
    taskId: event.actor.taskId,
    service,
    grantId,
    decision,
  };
}

/**
 * The record a stored row holds. The event is parsed but not re-validated:
 * `verify` is what proves a row is as it was written.
 */
export function toRecord(row: AuditRow): AuditRecord {
  return {
    seq: row.seq,
    id: row.id,
    prevHash: row.prevHash,
    hash: row.hash,
    event: JSON.parse(row.event) as AuditEvent,
  };
}
