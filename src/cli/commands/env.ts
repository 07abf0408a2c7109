import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { formatEnv, parseEnvFormat } from '../../run/index.ts';
import { CLIENT_HELP, type Command, str } from '../command.ts';
import { openSession, SESSION_HELP, SESSION_OPTIONS } from './run.ts';

/** `airlock env`: the environment `airlock run` would give, for a container. */
export const envCommand: Command = {
  name: 'env',
  summary: 'Print the environment `airlock run` would give an agent, for a container.',
  help: `env --agent NAME [--scope SPEC]... [--ttl D] [--format dotenv|json|shell] [--out DIR]

${SESSION_HELP}
  --format F           dotenv (default, for \`docker run --env-file\`), json or shell
  --out DIR            write the CA bundle here as airlock-ca-bundle.pem
                       (default: a new private temporary directory)
${CLIENT_HELP}

Starts a task and prints its environment: the services' placeholders, the
proxy variables with the task token, and the CA variables naming the bundle.
PATH, HOME and the locale are left to the container. The task lives until its
TTL (or \`airlock revoke --task ID\`); its id goes to stderr. A container
reaches the proxy at --proxy HOST:PORT (e.g. host.docker.internal:4780), with
the bundle mounted at the same path.`,
  options: { ...SESSION_OPTIONS, format: { type: 'string' }, out: { type: 'string' } },
  positionals: [0, 0],
  async run({ io, values }) {
    const format = parseEnvFormat(str(values, 'format'));
    const out = str(values, 'out');
    const dir = out === undefined ? await mkdtemp(join(tmpdir(), 'airlock-env-')) : resolve(out);
    const session = await openSession(values, io, false, dir);
    io.out(formatEnv(session.env, format));
    io.err(
      `${session.taskId === null ? 'delegated token' : `task ${session.taskId}`}` +
        `${session.expiresAt === null ? '' : `, expires ${session.expiresAt}`}; CA bundle ${session.caFile}\n`,
    );
    return 0;
  },
};
