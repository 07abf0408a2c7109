import {
  type AuditRecord,
  csvHeader,
  toCsvLine,
  toJsonLine,
  type VerifyReport,
} from '../../audit/index.ts';
import { AirlockError } from '../../core/index.ts';
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  type Command,
  type CommandGroup,
  flag,
  str,
} from '../command.ts';
import { connect } from '../connect.ts';
import { printJson } from '../io.ts';
import {
  countOption,
  eventLine,
  FILTER_HELP,
  FILTER_OPTIONS,
  fetchPage,
  filterParams,
} from './audit-lines.ts';

/** How long one follow request waits on the server before asking again. */
const FOLLOW_WAIT_S = 20;

const query: Command = {
  name: 'query',
  summary: 'Search the audit trail, newest first.',
  help: `audit query [filters] [--limit N] [--json]

${FILTER_HELP}
  --limit N        at most N events (default 100, up to 100000)
${CLIENT_HELP}`,
  options: { ...CLIENT_OPTIONS, ...FILTER_OPTIONS, limit: { type: 'string' } },
  positionals: [0, 0],
  async run({ io, values }) {
    const client = connect(values, io);
    let left = countOption(values, 'limit', 100, 100_000);
    const params = filterParams(values);
    const events: AuditRecord[] = [];
    for (;;) {
      params.set('limit', String(Math.min(left, 1000)));
      const page = await fetchPage(client, params);
      events.push(...page.events);
      left -= page.events.length;
      if (!page.more || left <= 0 || page.next === null) break;
      params.set('cursor', page.next);
    }
    if (flag(values, 'json')) printJson(io, events);
    else for (const e of events) io.out(eventLine(e));
    return 0;
  },
};

const tail: Command = {
  name: 'tail',
  summary: 'Show the latest events; with -f, keep printing new ones as they are written.',
  help: `audit tail [-f] [-n N] [filters] [--json]

  -f, --follow     keep running and print each new event as it commits
  -n, --lines N    how many recent events to show first (default 10)
${FILTER_HELP}
  --json           one JSON line per event
${CLIENT_HELP}`,
  options: {
    ...CLIENT_OPTIONS,
    ...FILTER_OPTIONS,
    follow: { type: 'boolean', short: 'f' },
    lines: { type: 'string', short: 'n' },
  },
  positionals: [0, 0],
  async run({ io, values }) {
    const client = connect(values, io);
    const json = flag(values, 'json');
    const print = (r: AuditRecord) => io.out(json ? toJsonLine(r) : eventLine(r));
    // Fix the newest event there is first, whatever the filters match: the
    // recent events are read up to it and following starts after it, so no
    // event falls between the two and none is shown twice.
    const head = await fetchPage(client, new URLSearchParams({ limit: '1' }));
    let cursor = String(head.events[0]?.seq ?? 0);
    const params = filterParams(values);
    params.set('limit', String(countOption(values, 'lines', 10, 1000)));
    params.set('cursor', String(Number(cursor) + 1));
    const recent = await fetchPage(client, params);
    for (const r of [...recent.events].reverse()) print(r);
    if (!flag(values, 'follow')) return 0;
    params.set('order', 'asc');
    params.set('limit', '1000');
    params.set('wait', String(FOLLOW_WAIT_S));
    for (;;) {
      params.set('cursor', cursor);
      const page = await fetchPage(client, params);
      for (const r of page.events) print(r);
      cursor = page.next ?? cursor;
    }
  },
};

const exportCmd: Command = {
  name: 'export',
  summary: 'Write the audit trail for a SIEM: JSON lines (with hashes) or CSV, oldest first.',
  help: `audit export --format jsonl|csv [filters]

  --format F       jsonl (one canonical JSON record per line, hashes included) or csv
${FILTER_HELP}
${CLIENT_HELP}`,
  options: { ...CLIENT_OPTIONS, ...FILTER_OPTIONS, format: { type: 'string' } },
  positionals: [0, 0],
  async run({ io, values }) {
    const format = str(values, 'format') ?? 'jsonl';
    if (format !== 'jsonl' && format !== 'csv') {
      throw new AirlockError('ERR_INVALID_ARGUMENT', '--format must be jsonl or csv');
    }
    const client = connect(values, io);
    const params = filterParams(values);
    params.set('order', 'asc');
    params.set('limit', '1000');
    if (format === 'csv') io.out(csvHeader());
    for (;;) {
      const page = await fetchPage(client, params);
      io.out(page.events.map(format === 'csv' ? toCsvLine : toJsonLine).join(''));
      if (!page.more || page.next === null) break;
      params.set('cursor', page.next);
    }
    return 0;
  },
};

const verify: Command = {
  name: 'verify',
  summary: 'Check the hash chain and its signed anchors; report the first broken link by id.',
  help: `audit verify [--json]

Exits 0 when the chain verifies, 1 (ERR_AUDIT_CHAIN_BROKEN) when it does not.
${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [0, 0],
  async run({ io, values }) {
    const report = await connect(values, io).get<VerifyReport & { publicKeyPem: string }>(
      '/v1/audit/verify',
    );
    if (flag(values, 'json')) printJson(io, report);
    if (!report.ok) {
      throw new AirlockError(
        'ERR_AUDIT_CHAIN_BROKEN',
        `the audit chain is broken: ${report.problem?.message ?? 'unknown problem'}`,
      );
    }
    if (!flag(values, 'json')) {
      const range =
        report.first === null || report.last === null
          ? 'no events'
          : `${report.checked} events, seq ${report.first.seq}..${report.last.seq} (${report.first.id} .. ${report.last.id})`;
      const base =
        report.base === null ? '' : `, from the signed checkpoint at seq ${report.base.seq}`;
      io.out(`ok: the audit chain verifies: ${range}${base}; signing key ${report.keyId}\n`);
    }
    return 0;
  },
};

const prune: Command = {
  name: 'prune',
  summary: 'Remove events before a time; the rest stays verifiable from a signed checkpoint.',
  help: `audit prune --before TIME

  --before TIME    remove events before TIME: a duration back (90d), an ISO-8601 time, or epoch ms
                   (refused when the chain does not verify: evidence is never pruned away)
${CLIENT_HELP}`,
  options: { ...CLIENT_OPTIONS, before: { type: 'string' } },
  positionals: [0, 0],
  async run({ io, values }) {
    const before = str(values, 'before');
    if (before === undefined)
      throw new AirlockError('ERR_INVALID_ARGUMENT', '--before is required');
    const res = await connect(values, io).post<{
      removed: number;
      before: string;
      base: { seq: number; id: string } | null;
    }>('/v1/audit/prune', { before });
    if (flag(values, 'json')) printJson(io, res);
    else if (res.base === null) io.out(`nothing before ${res.before} to remove\n`);
    else {
      io.out(
        `removed ${res.removed} events before ${res.before}; the chain now starts after seq ${res.base.seq} (${res.base.id}), signed\n`,
      );
    }
    return 0;
  },
};

export const auditGroup: CommandGroup = {
  name: 'audit',
  summary: 'query, follow, export, verify and prune the audit trail',
  commands: [query, tail, exportCmd, verify, prune],
};
