import { AirlockError } from '../../core/index.ts';
import { CLIENT_HELP, CLIENT_OPTIONS, type Command, flag, str } from '../command.ts';
import { connect } from '../connect.ts';
import { printJson } from '../io.ts';

/** `airlock revoke`: cut off a token and everything derived from it, a task, or an agent's tokens. */
export const revokeCommand: Command = {
  name: 'revoke',
  summary:
    'Revoke a task token and all tokens derived from it, a whole task, or an agent’s tokens.',
  help: `revoke --token JTI | --task ID | --agent NAME

  --token JTI    one token (its jti) and every token exchanged from it
  --task ID      every token of the task
  --agent NAME   every token the agent holds, and every token derived from them
${CLIENT_HELP}

Takes effect on the next request through the proxy, in open tunnels too.`,
  options: {
    ...CLIENT_OPTIONS,
    token: { type: 'string' },
    task: { type: 'string' },
    agent: { type: 'string' },
  },
  positionals: [0, 0],
  async run({ io, values }) {
    const body: Record<string, string> = {};
    for (const key of ['token', 'task', 'agent']) {
      const v = str(values, key);
      if (v !== undefined) body[key] = v;
    }
    if (Object.keys(body).length !== 1) {
      throw new AirlockError(
        'ERR_INVALID_ARGUMENT',
        'give exactly one of --token, --task, --agent',
      );
    }
    const res = await connect(values, io).post<{ revoked: number }>('/v1/revocations', body);
    if (flag(values, 'json')) printJson(io, res);
    else io.out(`revoked ${res.revoked} token(s)\n`);
    return 0;
  },
};
