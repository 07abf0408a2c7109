import { AirlockError } from '../../core/index.ts';
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  type Command,
  type CommandGroup,
  list,
  type OptionValues,
  str,
} from '../command.ts';
import { connect } from '../connect.ts';
import { printJson, printTable } from '../io.ts';

type AuthView =
  | { kind: 'bearer' }
  | { kind: 'basic'; username: string | null }
  | { kind: 'header'; header: string; prefix: string }
  | { kind: 'query'; param: string };

interface ServiceView {
  id: string;
  name: string;
  createdAt: string;
  scheme: string;
  hosts: string[];
  paths: string[];
  methods: string[] | null;
  auth: AuthView;
  secret: string;
  env: string | null;
}

const path = (name: string) => `/v1/services/${encodeURIComponent(name)}`;

function describeAuth(auth: AuthView): string {
  switch (auth.kind) {
    case 'bearer':
      return 'bearer';
    case 'basic':
      return auth.username === null ? 'basic' : `basic (user ${auth.username})`;
    case 'header':
      return auth.prefix === ''
        ? `header ${auth.header}`
        : `header ${auth.header} "${auth.prefix}"`;
    case 'query':
      return `query ?${auth.param}=`;
    default:
      return 'unknown';
  }
}

/**
 * The request body for `POST /v1/services`. Only what the user gave is
 * sent; the server validates it all (unknown auth kinds, a header scheme
 * without `--header`, bad host patterns), so the rules live in one place.
 */
function serviceBody(name: string, values: OptionValues): Record<string, unknown> {
  const hosts = list(values, 'host');
  const secret = str(values, 'secret');
  const kind = str(values, 'auth');
  if (hosts.length === 0)
    throw new AirlockError('ERR_INVALID_ARGUMENT', 'give at least one --host');
  if (secret === undefined) throw new AirlockError('ERR_INVALID_ARGUMENT', '--secret is required');
  if (kind === undefined) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      '--auth is required: bearer, basic, header or query',
    );
  }
  const auth: Record<string, string> = { kind };
  for (const field of ['username', 'header', 'prefix', 'param']) {
    const v = str(values, field);
    if (v !== undefined) auth[field] = v;
  }
  const scheme = str(values, 'scheme');
  const paths = list(values, 'path');
  const methods = list(values, 'method');
  const env = str(values, 'env');
  return {
    name,
    hosts,
    secret,
    auth,
    ...(scheme === undefined ? {} : { scheme }),
    ...(paths.length === 0 ? {} : { paths }),
    ...(methods.length === 0 ? {} : { methods }),
    ...(env === undefined ? {} : { env }),
  };
}

const add: Command = {
  name: 'add',
  summary: 'Define an upstream service: where its credential may go, and how it is injected.',
  help: `service add NAME --host HOST[:PORT]... --secret SECRET --auth bearer|basic|header|query
       [--username U] [--header NAME] [--prefix STR] [--param NAME]
       [--scheme https|http] [--path PATTERN]... [--method M]... [--env VAR]

  --host H[:P]    a host the credential may be sent to; *.example.com for subdomains
                  (repeatable; port defaults to 443, or 80 with --scheme http)
  --secret S      the secret whose value is injected (it must exist)
  --auth KIND     bearer: Authorization: Bearer <value>
                  basic:  Authorization: Basic, user from --username (else value is user:pass)
                  header: <--header>: <--prefix><value>
                  query:  ?<--param>=<value>
  --path P        allowed path pattern (repeatable; * one segment, ** the rest; default /**)
  --method M      allowed method (repeatable; default any)
  --env VAR       the variable that carries this service's placeholder in \`airlock run\`

${CLIENT_HELP}`,
  options: {
    ...CLIENT_OPTIONS,
    host: { type: 'string', multiple: true },
    secret: { type: 'string' },
    auth: { type: 'string' },
    username: { type: 'string' },
    header: { type: 'string' },
    prefix: { type: 'string' },
    param: { type: 'string' },
    scheme: { type: 'string' },
    path: { type: 'string', multiple: true },
    method: { type: 'string', multiple: true },
    env: { type: 'string' },
  },
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const body = serviceBody(positionals[0] as string, values);
    const { service } = await connect(values, io).post<{ service: ServiceView }>(
      '/v1/services',
      body,
    );
    if (values.json === true) printJson(io, service);
    else io.out(`added ${service.name} (${service.hosts.join(', ')})\n`);
    return 0;
  },
};

const listCmd: Command = {
  name: 'list',
  summary: 'List services: hosts, auth scheme and secret name.',
  help: `service list\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [0, 0],
  async run({ io, values }) {
    const { services } = await connect(values, io).get<{ services: ServiceView[] }>('/v1/services');
    if (values.json === true) printJson(io, services);
    else
      printTable(
        io,
        ['name', 'hosts', 'auth', 'secret'],
        services.map((s) => [s.name, s.hosts.join(','), describeAuth(s.auth), s.secret]),
      );
    return 0;
  },
};

const show: Command = {
  name: 'show',
  summary: "Show one service's full definition.",
  help: `service show NAME\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const { service: s } = await connect(values, io).get<{ service: ServiceView }>(
      path(positionals[0] as string),
    );
    if (values.json === true) {
      printJson(io, s);
      return 0;
    }
    const rows: [string, string][] = [
      ['name', s.name],
      ['id', s.id],
      ['scheme', s.scheme],
      ['hosts', s.hosts.join(', ')],
      ['paths', s.paths.join(', ')],
      ['methods', s.methods === null ? 'any' : s.methods.join(', ')],
      ['auth', describeAuth(s.auth)],
      ['secret', s.secret],
      ['env', s.env ?? '-'],
      ['created', s.createdAt],
    ];
    for (const [k, v] of rows) io.out(`${k.padEnd(8)} ${v}\n`);
    return 0;
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'Delete a service and every grant of it.',
  help: `service rm NAME\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const res = await connect(values, io).delete<{ deleted: string }>(
      path(positionals[0] as string),
    );
    if (values.json === true) printJson(io, res);
    else io.out(`deleted ${res.deleted}\n`);
    return 0;
  },
};

/** `airlock service …`: upstream APIs and how their credentials are injected. */
export const serviceGroup: CommandGroup = {
  name: 'service',
  summary: 'define, list, show and delete upstream services',
  commands: [add, listCmd, show, rm],
};
