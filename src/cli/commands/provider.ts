import type { ExecProvider } from '../../vault/index.ts';
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

const set: Command = {
  name: 'set',
  summary: 'Declare (or replace) an exec provider. Owner only: it runs a program as the server.',
  help: `provider set NAME --command /abs/path [--arg A]... [--timeout-ms N] [--env VAR]...

  --command PATH   absolute path of the program (run without a shell)
  --arg A          an argument, repeatable, passed as is
  --timeout-ms N   kill the program after N ms (default 10000)
  --env VAR        a server environment variable the program may see, repeatable;
                   it sees no other
${CLIENT_HELP}`,
  options: {
    ...CLIENT_OPTIONS,
    command: { type: 'string' },
    arg: { type: 'string', multiple: true },
    'timeout-ms': { type: 'string' },
    env: { type: 'string', multiple: true },
  },
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const name = positionals[0] as string;
    const timeout = str(values, 'timeout-ms');
    const body = {
      command: str(values, 'command'),
      args: list(values, 'arg'),
      env: list(values, 'env'),
      ...(timeout === undefined ? {} : { timeoutMs: Number(timeout) }),
    };
    const res = await connect(values, io).request<{ provider: ExecProvider; created: boolean }>(
      'PUT',
      `/v1/providers/${encodeURIComponent(name)}`,
      body,
    );
    if (values.json === true) printJson(io, res.provider);
    else io.out(`${res.created ? 'declared' : 'replaced'} provider ${name}\n`);
    return 0;
  },
};

const listCmd: Command = {
  name: 'list',
  summary: 'List exec providers.',
  help: `provider list\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [0, 0],
  async run({ io, values }) {
    const { providers } = await connect(values, io).get<{ providers: ExecProvider[] }>(
      '/v1/providers',
    );
    if (values.json === true) printJson(io, providers);
    else
      printTable(
        io,
        ['name', 'command', 'timeout', 'env'],
        providers.map((p) => [
          p.name,
          [p.command, ...p.args].join(' '),
          `${p.timeoutMs}ms`,
          p.env.join(',') || '-',
        ]),
      );
    return 0;
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'Remove an exec provider (references to it then fail with ERR_PROVIDER_UNKNOWN).',
  help: `provider rm NAME\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const name = positionals[0] as string;
    await connect(values, io).delete(`/v1/providers/${encodeURIComponent(name)}`);
    if (values.json === true) printJson(io, { deleted: name });
    else io.out(`removed provider ${name}\n`);
    return 0;
  },
};

/** `airlock provider …`: the exec programs `exec:PROVIDER#ID` references ask. */
export const providerGroup: CommandGroup = {
  name: 'provider',
  summary: 'declare, list and remove exec secret providers',
  commands: [set, listCmd, rm],
};
