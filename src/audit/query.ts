import { AirlockError, type WorkspaceId } from '../core/index.ts';
import type { AuditRowFilter } from '../store/index.ts';
import { AUDIT_KINDS, type AuditRecord } from './schema.ts';
import { parseTime } from './time.ts';

/** A query on one workspace's audit trail; the same filters as `airlock audit query`. */
export interface AuditQuery {
  /** Agent id (`agt_…`) or name. */
  readonly agent?: string;
  readonly task?: string;
  readonly service?: string;
  readonly decision?: 'allow' | 'deny';
  /** A kind (`proxy.denied`) or a prefix ending in `.` (`proxy.`). */
  readonly kind?: string;
  /** Epoch ms, inclusive. */
  readonly since?: number;
  /** Epoch ms, exclusive. */
  readonly until?: number;
  /** The `next` of the previous page. */
  readonly cursor?: string;
  /** `desc` (newest first, the default) or `asc`. */
  readonly order: 'asc' | 'desc';
  readonly limit: number;
}

/** One page of results. */
export interface AuditPage {
  readonly events: AuditRecord[];
  /**
   * Cursor for the next page: the position after the last event returned
   * (or the cursor given, when none were). In `asc` order it is where a
   * follower waits for new events.
   */
  readonly next: string | null;
  /** True when the page is full, so more may follow at once. */
  readonly more: boolean;
}

export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;

const KNOWN_PARAMS: ReadonlySet<string> = new Set([
  'agent',
  'task',
  'service',
  'decision',
  'kind',
  'since',
  'until',
  'cursor',
  'order',
  'limit',
  'wait',
]);

const KINDS: ReadonlySet<string> = new Set(AUDIT_KINDS);
const KIND_PREFIXES: ReadonlySet<string> = new Set(AUDIT_KINDS.map((k) => `${k.split('.')[0]}.`));
const FILTER_TEXT = /^[A-Za-z0-9_.:@-]{1,128}$/;

function bad(message: string): AirlockError {
  return new AirlockError('ERR_INVALID_ARGUMENT', message);
}

function filterText(value: string, name: string): string {
  if (!FILTER_TEXT.test(value)) throw bad(`${name} must be 1-128 of A-Z a-z 0-9 _ . : @ -`);
  return value;
}

/**
 * Parses `GET /v1/audit` query parameters (untrusted) into an
 * {@link AuditQuery}. Unknown parameters, a bad decision, kind, time,
 * cursor or limit are `ERR_INVALID_ARGUMENT`; nothing the caller sent is
 * echoed back.
 */
export function parseAuditQuery(params: URLSearchParams, now: number): AuditQuery {
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (!KNOWN_PARAMS.has(key)) throw bad('unknown audit query parameter');
    if (seen.has(key)) throw bad('each audit query parameter may appear once');
    seen.add(key);
  }
  const get = (name: string): string | undefined => params.get(name) ?? undefined;
  const query: {
    -readonly [K in keyof AuditQuery]: AuditQuery[K];
  } = { order: 'desc', limit: DEFAULT_PAGE };
  const agent = get('agent');
  if (agent !== undefined) query.agent = filterText(agent, 'agent');
  const task = get('task');
  if (task !== undefined) query.task = filterText(task, 'task');
  const service = get('service');
  if (service !== undefined) query.service = filterText(service, 'service');
  const decision = get('decision');
  if (decision !== undefined) {
    if (decision !== 'allow' && decision !== 'deny') throw bad('decision must be allow or deny');
    query.decision = decision;
  }
  const kind = get('kind');
  if (kind !== undefined) {
    if (!KINDS.has(kind) && !KIND_PREFIXES.has(kind)) throw bad('unknown audit event kind');
    query.kind = kind;
  }
  const since = get('since');
  if (since !== undefined) query.since = parseTime(since, now, 'since');
  const until = get('until');
  if (until !== undefined) query.until = parseTime(until, now, 'until');
  const cursor = get('cursor');
  if (cursor !== undefined) {
    if (!/^\d{1,15}$/.test(cursor)) throw bad('cursor must be the "next" of a previous page');
    query.cursor = cursor;
  }
  const order = get('order');
  if (order !== undefined) {
    if (order !== 'asc' && order !== 'desc') throw bad('order must be asc or desc');
    query.order = order;
  }
  const limit = get('limit');
  if (limit !== undefined) {
    if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > MAX_PAGE) {
      throw bad(`limit must be 1-${MAX_PAGE}`);
    }
    query.limit = Number(limit);
  }
  return query;
}

/** The store filter for `query` in workspace `ws`. */
export function toRowFilter(ws: WorkspaceId, query: AuditQuery): AuditRowFilter {
  const cursor = query.cursor === undefined ? undefined : Number(query.cursor);
  return {
    workspaceId: ws,
    order: query.order,
    limit: query.limit,
    ...(query.agent === undefined ? {} : { agent: query.agent }),
    ...(query.task === undefined ? {} : { task: query.task }),
    ...(query.service === undefined ? {} : { service: query.service }),
    ...(query.decision === undefined ? {} : { decision: query.decision }),
    ...(query.kind === undefined ? {} : { kind: query.kind }),
    ...(query.since === undefined ? {} : { sinceMs: query.since }),
    ...(query.until === undefined ? {} : { untilMs: query.until }),
    ...(cursor === undefined
      ? {}
      : query.order === 'asc'
        ? { afterSeq: cursor }
        : { beforeSeq: cursor }),
  };
}
