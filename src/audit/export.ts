import { canonicalJson } from './canonical.ts';
import type { AuditRecord } from './schema.ts';

/**
 * One JSON line for a record: the canonical JSON of `{ event, hash, id,
 * prevHash, seq }`. A SIEM that keeps these lines can re-check every hash
 * and link itself (see `docs/audit.md`).
 */
export function toJsonLine(record: AuditRecord): string {
  return `${canonicalJson(record)}\n`;
}

/** The CSV columns, in order. */
export const CSV_COLUMNS: readonly string[] = [
  'seq',
  'id',
  'time',
  'kind',
  'workspace',
  'actor_type',
  'actor_id',
  'actor_name',
  'token_id',
  'task_id',
  'chain',
  'decision',
  'code',
  'service',
  'secret',
  'secret_version',
  'scheme',
  'host',
  'port',
  'method',
  'path',
  'query_names',
  'status',
  'bytes_in',
  'bytes_out',
  'duration_ms',
  'target',
  'hash',
  'prev_hash',
];

type Cell = string | number | boolean | null | undefined;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote or line
 * break. A cell that a spreadsheet would run as a formula (`=`, `+`, `-`,
 * `@`, tab or CR first) gets a leading `'` (OWASP CSV injection).
 */
function cell(value: Cell): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function field(event: object, name: string): Cell {
  const v = (event as Record<string, unknown>)[name];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? v : null;
}

/** The CSV header line. */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\n`;
}

/** One CSV line for a record, columns as {@link CSV_COLUMNS}; the chain is `type:id` joined by `>`. */
export function toCsvLine(record: AuditRecord): string {
  const e = record.event;
  const dest = 'destination' in e ? e.destination : null;
  const secret = 'secret' in e ? e.secret : null;
  const target = 'target' in e ? `${e.target.type}:${e.target.name ?? e.target.id ?? ''}` : null;
  const cells: Cell[] = [
    record.seq,
    record.id,
    e.time,
    e.kind,
    e.workspace,
    e.actor.type,
    e.actor.id,
    e.actor.name,
    e.actor.tokenId,
    e.actor.taskId,
    e.chain.map((l) => `${l.type}:${l.name ?? l.id}`).join('>'),
    field(e, 'decision'),
    field(e, 'code'),
    field(e, 'service'),
    secret?.name,
    secret?.version,
    dest?.scheme,
    dest?.host,
    dest?.port,
    dest?.method ?? field(e, 'method'),
    dest?.path ?? field(e, 'path'),
    dest?.queryNames.join(' '),
    field(e, 'status'),
    field(e, 'bytesIn'),
    field(e, 'bytesOut'),
    field(e, 'durationMs'),
    target,
    record.hash,
    record.prevHash,
  ];
  return `${cells.map(cell).join(',')}\n`;
}
