import { AirlockError } from '../../core/index.ts';
import { CLIENT_HELP, CLIENT_OPTIONS, type Command, type CommandGroup, str } from '../command.ts';
import { connect } from '../connect.ts';
import { printJson, printTable } from '../io.ts';

interface ApiKeyView {
  id: string;
  name: string;
  role: string;
  createdAt: string;
  revokedAt: string | null;
}

const create: Command = {
  name: 'create',
  summary: 'Create an admin API key with a role. The key is printed once.',
  help: `apikey create NAME --role admin|operator|auditor\n\n${CLIENT_HELP}`,
  options: { ...CLIENT_OPTIONS, role: { type: 'string' } },
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const role = str(values, 'role');
    if (role === undefined) throw new AirlockError('ERR_INVALID_ARGUMENT', '--role is required');
    const res = await connect(values, io).post<{ apikey: ApiKeyView; key: string }>('/v1/apikeys', {
      name: positionals[0],
      role,
    });
    if (values.json === true) printJson(io, res);
    else io.out(`${res.key}\n`);
    io.err(
      `created ${res.apikey.role} key ${res.apikey.name} (${res.apikey.id}); it is shown only once\n`,
    );
    return 0;
  },
};

const listCmd: Command = {
  name: 'list',
  summary: 'List API keys (never the keys themselves).',
  help: `apikey list\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [0, 0],
  async run({ io, values }) {
    const { apikeys } = await connect(values, io).get<{ apikeys: ApiKeyView[] }>('/v1/apikeys');
    if (values.json === true) printJson(io, apikeys);
    else
      printTable(
        io,
        ['id', 'name', 'role', 'created', 'revoked'],
        apikeys.map((k) => [k.id, k.name, k.role, k.createdAt, k.revokedAt ?? '-']),
      );
    return 0;
  },
};

const revoke: Command = {
  name: 'revoke',
  summary: 'Revoke an API key by id or name. It stops working at once.',
  help: `apikey revoke ID|NAME\n\n${CLIENT_HELP}`,
  options: CLIENT_OPTIONS,
  positionals: [1, 1],
  async run({ io, values, positionals }) {
    const res = await connect(values, io).delete<{ revoked: string }>(
      `/v1/apikeys/${encodeURIComponent(positionals[0] as string)}`,
    );
    if (values.json === true) printJson(io, res);
    else io.out(`revoked ${res.revoked}\n`);
    return 0;
  },
};

export const apikeyGroup: CommandGroup = {
  name: 'apikey',
  summary: 'create, list and revoke admin API keys',
  commands: [create, listCmd, revoke],
};
