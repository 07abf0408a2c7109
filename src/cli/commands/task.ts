import { AirlockError } from '../../core/index.ts';
import {
  CLIENT_HELP,
  CLIENT_OPTIONS,
  type Command,
  type CommandGroup,
  flag,
  list,
  str,
} from '../command.ts';
import { connect } from '../connect.ts';
import { printJson } from '../io.ts';

interface Started {
  token: string;
  task: { id: string; agent: string; onBehalfOf: string; scope: string; expiresAt: string };
  jti: string;
  expiresIn: number;
}

const start: Command = {
  name: 'start',
  summary: 'Start a task: print a short-lived token scoped to it, for one agent.',
  help: `task start --agent NAME [--scope SPEC]... [--ttl 15m] [--on-behalf-of USER]

  --agent NAME         the agent the task is for
  --scope SPEC         SERVICE[:METHODS[:PATHS]], e.g. github:GET,POST:/repos/acme/*/issues/**;
                       repeatable; none means all of the agent's grants
  --ttl DURATION       lifetime (90s, 15m, 1h30m; default 15m, capped at 24h)
  --on-behalf-of USER  the user the task is for (default: the caller)
${CLIENT_HELP}

The token alone goes to stdout, so \`$(airlock task start …)\` captures it;
the task id and expiry go to stderr. A scope wider than the agent's grants
is refused (ERR_SCOPE_EXCEEDS_GRANT).`,
  options: {
    ...CLIENT_OPTIONS,
    agent: { type: 'string' },
    scope: { type: 'string', multiple: true },
    ttl: { type: 'string' },
    'on-behalf-of': { type: 'string' },
  },
  positionals: [0, 0],
  async run({ io, values }) {
    const agent = str(values, 'agent');
    if (agent === undefined) throw new AirlockError('ERR_INVALID_ARGUMENT', '--agent is required');
    const scope = list(values, 'scope');
    const ttl = str(values, 'ttl');
    const onBehalfOf = str(values, 'on-behalf-of');
    const res = await connect(values, io).post<Started>('/v1/tasks', {
      agent,
      ...(scope.length === 0 ? {} : { scope }),
      ...(ttl === undefined ? {} : { ttl }),
      ...(onBehalfOf === undefined ? {} : { onBehalfOf }),
    });
    if (flag(values, 'json')) printJson(io, res);
    else io.out(`${res.token}\n`);
    io.err(
      `task ${res.task.id} for agent ${res.task.agent}, scope ${res.task.scope}, expires ${res.task.expiresAt}\n`,
    );
    return 0;
  },
};

/** `airlock task …`: task-scoped tokens. */
export const taskGroup: CommandGroup = {
  name: 'task',
  summary: 'start tasks with short-lived, scoped tokens',
  commands: [start],
};
