import type { ApiClient } from '../../api/index.ts';
import type { AuditPage, AuditRecord } from '../../audit/index.ts';
import { AirlockError } from '../../core/index.ts';
import { type OptionValues, str } from '../command.ts';

/** The filter options `audit query`, `tail` and `export` share. */
export const FILTER_OPTIONS = {
  agent: { type: 'string' },
  task: { type: 'string' },
  service: { type: 'string' },
  decision: { type: 'string' },
  kind: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
} as const;

export const FILTER_HELP = `  --agent A        only events of agent A (name or agt_… id)
  --task T         only events of task T
  --service S      only events for service S
  --decision D     allow or deny
  --kind K         one kind (proxy.denied) or a family (proxy.)
  --since T        from T: a duration back (30d, 12h, 15m), an ISO-8601 time, or epoch ms
  --until T        before T (same forms)`;

/** The filters given on the command line, as `GET /v1/audit` parameters. */
export function filterParams(values: OptionValues): URLSearchParams {
  const params = new URLSearchParams();
  for (const name of Object.keys(FILTER_OPTIONS)) {
    const v = str(values, name);
    if (v !== undefined) params.set(name, v);
  }
  return params;
}

/** Fetches one page of `GET /v1/audit` with `params`. */
export function fetchPage(client: ApiClient, params: URLSearchParams): Promise<AuditPage> {
  return client.get<AuditPage>(`/v1/audit?${params.toString()}`);
}

/** A positive integer option, at most `max`. */
export function countOption(
  values: OptionValues,
  name: string,
  fallback: number,
  max: number,
): number {
  const v = str(values, name);
  if (v === undefined) return fallback;
  if (!/^\d{1,7}$/.test(v) || Number(v) < 1 || Number(v) > max) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', `--${name} must be 1-${max}`);
  }
  return Number(v);
}

function actorOf(r: AuditRecord): string {
  const a = r.event.actor;
  switch (a.type) {
    case 'agent':
      return a.name ?? a.id ?? 'agent';
    case 'apikey':
      return `${a.role ?? 'key'}:${a.id ?? '?'}`;
    default:
      return a.type;
  }
}

function detailOf(r: AuditRecord): string {
  const e = r.event;
  switch (e.kind) {
    case 'proxy.request':
    case 'proxy.denied':
    case 'proxy.exfiltration_attempt':
    case 'proxy.tunnel': {
      const d = e.destination;
      const where = `${d.method} ${d.scheme}://${d.host}:${d.port}${d.path ?? ''}`;
      const service = 'service' in e && e.service !== null ? ` [${e.service}]` : '';
      const outcome =
        e.kind === 'proxy.request'
          ? ` ${e.status ?? '-'}${e.code === null ? '' : ` ${e.code}`}`
          : 'code' in e
            ? ` ${e.code}`
            : '';
      return `${where}${service}${outcome}`;
    }
    case 'proxy.completed':
      return `${e.request} [${e.service}] ${e.status ?? '-'}${e.code === null ? '' : ` ${e.code}`} in:${e.bytesIn} out:${e.bytesOut}`;
    case 'auth.failed':
      return `${e.surface} ${e.code} ${e.method ?? ''} ${e.path ?? ''} from ${e.remote ?? '?'}`.trim();
    case 'token.issued':
    case 'token.exchanged':
    case 'token.revoked':
      return `token ${e.token.id}${e.token.parent === null ? '' : ` from ${e.token.parent}`}`;
    case 'task.started':
    case 'task.ended':
      return `task ${e.task.id}`;
    case 'audit.anomaly':
      return `${e.anomaly} (table seq ${e.tableSeq}, head seq ${e.headSeq ?? '-'})`;
    default:
      return `${e.target.type} ${e.target.name ?? e.target.id ?? ''}`.trim();
  }
}

/** One human-readable line for an event: time, kind, decision, actor, chain, what. */
export function eventLine(r: AuditRecord): string {
  const e = r.event;
  const decision = 'decision' in e ? e.decision : '-';
  const chain = e.chain.length > 1 ? ` via ${e.chain.map((l) => l.name ?? l.id).join('>')}` : '';
  return `${e.time}  ${e.kind.padEnd(15)} ${decision.padEnd(5)} ${actorOf(r)}${chain}  ${detailOf(r)}  ${r.id}\n`;
}
