import { dirname, resolve } from 'node:path';
import { AirlockError } from '../../core/index.ts';
import { resolveHome } from '../../home/index.ts';
import {
  checkPass,
  type IsolationProbe,
  launch,
  launchIsolated,
  probeBwrap,
  requireIsolation,
  resolveRunUser,
} from '../../run/index.ts';
import type { OptionValues } from '../command.ts';
import { CLIENT_HELP, CLIENT_OPTIONS, type Command, list, str } from '../command.ts';
import { connect } from '../connect.ts';
import type { CliIo } from '../io.ts';
import {
  insideRun,
  type Session,
  type SessionRequest,
  startAdminSession,
  startNestedSession,
} from '../run-session.ts';

/** Options `airlock run` and `airlock env` share. */
export const SESSION_OPTIONS = {
  ...CLIENT_OPTIONS,
  agent: { type: 'string' },
  scope: { type: 'string', multiple: true },
  ttl: { type: 'string' },
  'on-behalf-of': { type: 'string' },
  pass: { type: 'string', multiple: true },
  proxy: { type: 'string' },
} as const;

export const SESSION_HELP = `  --agent NAME         the agent the task is for (inside a run: the sub-agent)
  --scope SPEC         SERVICE[:METHODS[:PATHS]]; repeatable; none means all the agent's grants
  --ttl DURATION       the task's lifetime (90s, 15m, 1h30m; default 15m)
  --on-behalf-of USER  the user the task is for (default: the caller)
  --pass VAR           also pass this variable from the parent (never one that looks
                       like a credential); repeatable
  --proxy HOST:PORT    the proxy as the agent reaches it (default: the server's)`;

/** The session `values` ask for; nested when already inside `airlock run`. */
export function openSession(
  values: OptionValues,
  io: CliIo,
  inherit: boolean,
  caDir: string | null,
  loopback = false,
): Promise<Session> {
  const req: SessionRequest = {
    agent: str(values, 'agent') ?? null,
    scope: list(values, 'scope'),
    ttl: str(values, 'ttl') ?? null,
    onBehalfOf: str(values, 'on-behalf-of') ?? null,
    pass: list(values, 'pass'),
    proxy: str(values, 'proxy') ?? null,
    inherit,
    caDir,
    loopback,
  };
  checkPass(req.pass);
  if (insideRun(io.env)) return startNestedSession(io.env, req);
  return startAdminSession(connect(values, io), io.env, req);
}

/** The one line `--no-isolation` prints: what the agent can now reach. */
const NO_ISOLATION_WARNING =
  "airlock run: warning: --no-isolation: the agent runs as you, outside any sandbox: it can read the Airlock home, use the admin socket and port, read other processes' environments, signal the server and connect out without the proxy\n";

/** `airlock run` with the isolation probe given: the real one, or a test's. */
function runCommandWith(probe: IsolationProbe): Command {
  return {
    name: 'run',
    summary: 'Run a command as an agent: a task token, sealed placeholders, no real secret.',
    help: `run --agent NAME [--scope SPEC]... [--ttl D] [--on-behalf-of USER] [--pass VAR]...
    [--hide PATH]... [--ro PATH]... [--user NAME] [--no-isolation] -- CMD [ARGS]

${SESSION_HELP}
  --hide PATH          also replace PATH by an empty directory (or file) inside the sandbox; repeatable
  --ro PATH            make PATH read-only inside the sandbox; repeatable
  --user NAME          run CMD (and the sandbox) as this host user (a name or uid in
                       /etc/passwd), with its HOME, USER and LOGNAME; needs root (or
                       CAP_SETUID, CAP_SETGID and CAP_CHOWN); not with --no-isolation
  --no-isolation       run CMD without the sandbox (it can then reach everything you can)
${CLIENT_HELP}

Starts a task, then CMD with an environment built from scratch: PATH HOME USER
LOGNAME SHELL TERM LANG LC_* TZ TMPDIR and the --pass names from this shell,
the services' placeholders in their --env variables, HTTPS_PROXY/HTTP_PROXY
with the task token, NO_PROXY for loopback, NODE_USE_ENV_PROXY=1, and a CA
bundle (system roots and the Airlock CA) in SSL_CERT_FILE, NODE_EXTRA_CA_CERTS,
REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO, AWS_CA_BUNDLE and DENO_CERT.
SIGINT, SIGTERM and SIGHUP go to CMD; the exit status is CMD's. When CMD exits
the task's tokens are revoked and the temporary directory is removed.

On Linux CMD runs in a sandbox (bubblewrap: user, mount, PID, IPC, UTS and
network namespaces, no capabilities): the Airlock home is an empty directory,
/proc shows only the sandbox's processes, and the only network is loopback,
where 127.0.0.1:PORT reaches the proxy through a bridge to its Unix socket.
Where that is unavailable, run refuses with ERR_ISOLATION_UNAVAILABLE unless
--no-isolation is given. With --user (typically as root, in containers and
CI) CMD also loses the caller's uid: it can reach only what that user can,
and the proxy through a socket of the run's that only that user may open.
TMPDIR and the working directory must be ones the user can reach. See
docs/isolation.md.

Inside a run, \`airlock run --scope NARROWER -- SUBCMD\` exchanges the run's
token for a narrower one through airlock.internal: SUBCMD gets only that (in
the same sandbox).`,
    options: {
      ...SESSION_OPTIONS,
      'no-isolation': { type: 'boolean' },
      user: { type: 'string' },
      hide: { type: 'string', multiple: true },
      ro: { type: 'string', multiple: true },
    },
    positionals: [1, Number.POSITIVE_INFINITY],
    async run({ io, values, positionals }) {
      const [command, ...args] = positionals;
      // A nested run is already inside the sandbox of the run that started it.
      const isolate = values['no-isolation'] !== true && !insideRun(io.env);
      const paths = resolveHome(str(values, 'home'), io.env);
      const bwrap = io.env.AIRLOCK_BWRAP ?? 'bwrap';
      const userSpec = str(values, 'user');
      if (userSpec !== undefined && !isolate) {
        throw new AirlockError(
          'ERR_INVALID_ARGUMENT',
          values['no-isolation'] === true
            ? '--user needs the sandbox: it cannot be combined with --no-isolation'
            : '--user is not available inside a run (the sandbox holds no privilege)',
        );
      }
      const user = userSpec === undefined ? undefined : await resolveRunUser(userSpec);
      if (values['no-isolation'] === true) io.stderr.write(NO_ISOLATION_WARNING);
      if (isolate) await requireIsolation(probe, bwrap, paths.proxySocket, user);
      const session = await openSession(values, io, true, null, isolate);
      try {
        if (!isolate) return await launch({ command: command ?? '', args, env: session.env });
        const port = Number(new URL(session.env.AIRLOCK_PROXY ?? '').port);
        return await launchIsolated({
          command: command ?? '',
          args,
          env: session.env,
          bwrap,
          runDir: dirname(session.caFile),
          proxySocket: paths.proxySocket,
          port,
          hide: [paths.home, paths.socket, ...list(values, 'hide').map((p) => resolve(p))],
          readOnly: list(values, 'ro').map((p) => resolve(p)),
          cwd: process.cwd(),
          ...(user === undefined ? {} : { user }),
        });
      } finally {
        await session.end();
      }
    },
  };
}

/** `airlock run`: start an agent with placeholders, a scoped token and nothing real. */
export const runAgentCommand: Command = runCommandWith(probeBwrap);
