import { CLIENT_HELP, CLIENT_OPTIONS, type Command, type CommandGroup } from '../command.ts';
import { connect } from '../connect.ts';
import type { CliIo } from '../io.ts';
import { printJson, printTable } from '../io.ts';

interface AgentView {
  id: string;
  name: string;
  createdAt: string;
  rotatedAt: string | null;
  revokedAt: string | null;
}

interface WithKey {
  agent: AgentView;
  key: string;
}

const path = (name: string) => `/v1/agents/${encodeURIComponent(name)}`;

/** The key alone on stdout, so `$(airlock agent add bot)` captures it; the note goes to stderr. */
function printKey(io: CliIo, json: boolean, res: WithKey, what: string): void {
  if (json) printJson(io, res);
  else io.out(`${res.key}\n`);
  io.err(`${what} agent ${res.agent.name} (${res.agent.id}); the key is shown only once\n`);
}

const add: Command = {
  name: 'add',
  summary: 'Register an agent. Its key is printed once; Airlock keeps only a hash.',
  help: `agent add NAME\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const res = await connect(values, io).post<WithKey>('/v1/agents', { name: positionals[0] });
    printKey(io, values.json === true, res, 'registered');
    return 0;
  },
};

const listCmd: Command = {
  name: 'list',
  summary: 'List agents (never their keys).',
  help: `agent list\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [0, 0],
  async run({ io, values }) {
    const { agents } = await connect(values, io).get<{ agents: AgentView[] }>('/v1/agents');
    if (values.json === true) printJson(io, agents);
    else
      printTable(
        io,
        ['name', 'id', 'created', 'rotated', 'revoked'],
        agents.map((a) => [a.name, a.id, a.createdAt, a.rotatedAt ?? '-', a.revokedAt ?? '-']),
      );
    return 0;
  },
};

const rotate: Command = {
  name: 'rotate',
  summary: 'Give an agent a new key, printed once. The old key stops working at once.',
  help: `agent rotate NAME\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const res = await connect(values, io).post<WithKey>(
      `${path(positionals[0] as string)}/rotate`,
      {},
    );
    printKey(io, values.json === true, res, 'rotated the key of');
    return 0;
  },
};

const revoke: Command = {
  name: 'revoke',
  summary: 'Revoke an agent: its key stops working at once, its record stays.',
  help: `agent revoke NAME\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const { agent } = await connect(values, io).post<{ agent: AgentView }>(
      `${path(positionals[0] as string)}/revoke`,
      {},
    );
    if (values.json === true) printJson(io, agent);
    else io.out(`revoked ${agent.name} at ${agent.revokedAt ?? '?'}\n`);
    return 0;
  },
};

const rm: Command = {
  name: 'rm',
  summary: 'Delete an agent and all of its grants.',
  help: `agent rm NAME\n\n${CLIENT_HELP}`,
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

/** `airlock agent …`: the identities that speak through the proxy. */
export const agentGroup: CommandGroup = {
  name: 'agent',
  summary: 'register, list, rotate, revoke and delete agents',
  commands: [add, listCmd, rotate, revoke, rm],
};
