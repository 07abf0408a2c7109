import { AirlockError } from '../../core/index.ts';
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  type Command,
  type CommandGroup,
  list,
  str,
} from '../command.ts';
import { connect } from '../connect.ts';
import { printJson, printTable } from '../io.ts';

interface GrantView {
  id: string;
  agent: string;
  service: string;
  methods: string[] | null;
  paths: string[] | null;
  expiresAt: string | null;
  createdAt: string;
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * `--expires`: a duration from now (`30m`, `12h`, `7d`; units s m h d w) or
 * an ISO-8601 date or time. A time without a zone is read in the local zone,
 * as a person at this terminal means it; the server gets an exact UTC time.
 */
function parseExpires(text: string, now: number): string {
  const rel = /^(\d{1,6})([smhdw])$/.exec(text);
  if (rel !== null) {
    const unit = UNIT_MS[rel[2] as string] as number;
    return new Date(now + Number(rel[1]) * unit).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const ms = Date.parse(text);
    if (Number.isFinite(ms)) return new Date(ms).toISOString();
  }
  throw new AirlockError(
    'ERR_INVALID_ARGUMENT',
    '--expires must be an ISO-8601 time (2030-01-31T12:00:00Z) or a duration like 30m, 12h, 7d',
  );
}

const add: Command = {
  name: 'add',
  summary: 'Grant an agent a service, optionally narrowed by methods, paths and an expiry.',
  help: `grant AGENT SERVICE [--method M]... [--path P]... [--expires TIME]
   or: airlock grant add AGENT SERVICE …

  --method M      allowed method (repeatable; default: the service's)
  --path P        allowed path pattern (repeatable; default: the service's)
  --expires T     an ISO-8601 time, or a duration from now: 30m, 12h, 7d
  A grant can only narrow its service: anything wider is refused.

${CLIENT_HELP}`,
  options: {
    ...CLIENT_OPTIONS,
    method: { type: 'string', multiple: true },
    path: { type: 'string', multiple: true },
    expires: { type: 'string' },
  },
  positionals: [2, 2],
  async run({ io, values, positionals }) {
    const methods = list(values, 'method');
    const paths = list(values, 'path');
    const expires = str(values, 'expires');
    const { grant } = await connect(values, io).post<{ grant: GrantView }>('/v1/grants', {
      agent: positionals[0],
      service: positionals[1],
      ...(methods.length === 0 ? {} : { methods }),
      ...(paths.length === 0 ? {} : { paths }),
      ...(expires === undefined ? {} : { expiresAt: parseExpires(expires, Date.now()) }),
    });
    if (values.json === true) printJson(io, grant);
    else
      io.out(
        `granted ${grant.agent} ${grant.service} (${grant.id})${grant.expiresAt === null ? '' : ` until ${grant.expiresAt}`}\n`,
      );
    return 0;
  },
};

const listCmd: Command = {
  name: 'list',
  summary: 'List grants, optionally for one agent.',
  help: `grant list [--agent NAME] [--service NAME]\n\n${CLIENT_HELP}`,
  options: { ...CLIENT_OPTIONS, agent: { type: 'string' }, service: { type: 'string' } },
  positionals: [0, 0],
  async run({ io, values }) {
    const query = new URLSearchParams();
    for (const key of ['agent', 'service']) {
      const v = str(values, key);
      if (v !== undefined) query.set(key, v);
    }
    const qs = query.size === 0 ? '' : `?${query}`;
    const { grants } = await connect(values, io).get<{ grants: GrantView[] }>(`/v1/grants${qs}`);
    if (values.json === true) printJson(io, grants);
    else
      printTable(
        io,
        ['id', 'agent', 'service', 'methods', 'paths', 'expires'],
        grants.map((g) => [
          g.id,
          g.agent,
          g.service,
          g.methods?.join(',') ?? '*',
          g.paths?.join(',') ?? '*',
          g.expiresAt ?? '-',
        ]),
      );
    return 0;
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'Delete a grant by id. The agent loses that access at once.',
  help: `grant rm ID\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const res = await connect(values, io).delete<{ deleted: string }>(
      `/v1/grants/${encodeURIComponent(positionals[0] as string)}`,
    );
    if (values.json === true) printJson(io, res);
    else io.out(`deleted ${res.deleted}\n`);
    return 0;
  },
};

/** `airlock grant …`: which agent may use which service, and how narrowly. */
export const grantGroup: CommandGroup = {
  name: 'grant',
  summary: 'grant agents services (airlock grant AGENT SERVICE), list and delete grants',
  commands: [add, listCmd, rm],
  defaultCommand: add,
};
