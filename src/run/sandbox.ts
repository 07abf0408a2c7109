import { spawn } from 'node:child_process';
import { mkdir, realpath, stat } from 'node:fs/promises';
import { constants } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { AirlockError } from '../core/index.ts';
import { FORWARDED_SIGNALS, type SignalSource } from './launch.ts';
import { type Relay, shareRunDir, startRelay } from './relay.ts';
import { type RunUser, reachableAs } from './user.ts';

/** The program inside the sandbox: the proxy bridge and the agent's parent. */
const INSIDE = join(import.meta.dirname, 'inside.ts');

/** Where the proxy's socket directory appears inside the run directory. */
const PROXY_DIR = 'proxy';

/** With `--user`: the relay's socket in the run directory, in place of the bound directory. */
const RELAY_SOCKET = 'proxy.sock';

/** Exit status `inside.ts` uses when CMD could not be started (it also says so on the control channel). */
const START_FAILED = 127;

/**
 * Whether the sandbox can be built here (as `user`, with `--user`):
 * resolves null when it can, or the reason it cannot. Injectable so a test
 * can force "unavailable" without changing the machine.
 */
export type IsolationProbe = (bwrap: string, user?: RunUser) => Promise<string | null>;

/**
 * The real probe: starts `bwrap` (as `user`, if given) with every
 * namespace `airlock run` uses and runs `true` inside. Any failure (no
 * such program, namespaces disabled, a seccomp profile that forbids them)
 * is "unavailable".
 */
export const probeBwrap: IsolationProbe = (bwrap, user) =>
  new Promise((resolve) => {
    const child = spawn(
      bwrap,
      [...NAMESPACES, '--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', 'true'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {},
        ...(user === undefined ? {} : { uid: user.uid, gid: user.gid, cwd: '/' }),
      },
    );
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    child.once('error', (e) => resolve(`cannot start ${bwrap}: ${e.message}`));
    child.once('close', (code) =>
      resolve(code === 0 ? null : `${bwrap} failed: ${err.trim().slice(0, 200) || `exit ${code}`}`),
    );
  });

/** Every namespace but the mount namespace (bwrap always makes one); cgroup where the kernel has it. */
const NAMESPACES: readonly string[] = [
  '--unshare-user',
  '--unshare-pid',
  '--unshare-ipc',
  '--unshare-net',
  '--unshare-uts',
  '--unshare-cgroup-try',
  '--die-with-parent',
  '--cap-drop',
  'ALL',
];

/** What an isolated run needs besides the command and its environment. */
export interface SandboxOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The bubblewrap program (`bwrap` on PATH by default). */
  readonly bwrap: string;
  /** The run's private directory (it holds the CA bundle); the proxy socket appears in it. */
  readonly runDir: string;
  /** The server's proxy socket; its directory is bound into the sandbox, so a restarted server is found again. */
  readonly proxySocket: string;
  /** The loopback port the agent's proxy variables name; the bridge listens there. */
  readonly port: number;
  /** Replaced by an empty directory (or an empty file): the Airlock home, its socket, `--hide`. */
  readonly hide: readonly string[];
  /** Read-only inside (`--ro`). */
  readonly readOnly: readonly string[];
  readonly cwd?: string;
  readonly signals?: SignalSource;
  /**
   * `--user`: bwrap and the agent run as this host user, with its HOME,
   * USER and LOGNAME. It cannot enter the proxy's socket directory, so this
   * process relays a socket of the user's in the run directory to it.
   */
  readonly user?: RunUser;
}

/** Fails with `ERR_ISOLATION_UNAVAILABLE` unless the sandbox can be built and the proxy socket exists. */
export async function requireIsolation(
  probe: IsolationProbe,
  bwrap: string,
  proxySocket: string,
  user?: RunUser,
): Promise<void> {
  const reason = await probe(bwrap, user);
  const hint =
    'install bubblewrap (apt-get install bubblewrap) and allow user namespaces, or pass --no-isolation';
  if (reason !== null) {
    throw new AirlockError(
      'ERR_ISOLATION_UNAVAILABLE',
      `cannot isolate the agent (${reason}); ${hint}`,
    );
  }
  const st = await stat(proxySocket).catch(() => null);
  if (st === null || !st.isSocket()) {
    throw new AirlockError(
      'ERR_ISOLATION_UNAVAILABLE',
      `no proxy socket at ${proxySocket}: isolation needs the server running on this machine with this --home; or pass --no-isolation`,
    );
  }
}

/**
 * With `--user`: which of `paths` the user can reach (bwrap runs as the
 * user, so it can mount over or bind only those, and the agent sees no
 * other); first refusing, in words, when the user cannot reach what the
 * sandbox needs to start. Without `--user`: all of them.
 */
async function reachable(options: SandboxOptions, paths: readonly string[]): Promise<Set<string>> {
  const { user } = options;
  if (user === undefined) return new Set(paths);
  const needed = new Map([
    [
      `${options.runDir}/.`,
      `the run's directory ${options.runDir}: set TMPDIR to a directory it can reach, such as /tmp`,
    ],
    [process.execPath, `Node at ${process.execPath}`],
    [INSIDE, INSIDE],
  ]);
  if (options.cwd !== undefined) {
    needed.set(`${options.cwd}/.`, `the working directory ${options.cwd}: cd to one it can reach`);
  }
  const reach = await reachableAs(user, [...needed.keys(), ...paths]);
  for (const [path, what] of needed) {
    if (!reach.has(path)) {
      throw new AirlockError('ERR_INVALID_ARGUMENT', `--user ${user.name} cannot reach ${what}`);
    }
  }
  return reach;
}

/**
 * The bwrap arguments for one run (see docs/isolation.md for what each
 * does); `relay` is the socket the bridge connects to instead of the bound
 * proxy directory (`--user`).
 */
async function sandboxArgs(options: SandboxOptions, relay: string | null): Promise<string[]> {
  const readOnly: string[] = [];
  for (const path of options.readOnly) {
    const real = await realpath(path).catch(() => null);
    if (real === null) {
      throw new AirlockError('ERR_INVALID_ARGUMENT', `--ro ${path}: no such file or directory`);
    }
    readOnly.push(real);
  }
  const hidden: string[] = [];
  for (const path of options.hide) {
    // Symlinks resolved: the mount must land on the directory itself.
    const real = await realpath(path).catch(() => null);
    // Already gone with a hidden directory above it (the admin socket in the home).
    if (real === null || hidden.some((dir) => real === dir || real.startsWith(`${dir}/`))) continue;
    hidden.push(real);
  }
  const reach = await reachable(options, [...readOnly, ...hidden]);
  const args = [...NAMESPACES, '--bind', '/', '/', '--dev', '/dev', '--proc', '/proc'];
  // Read-only first: a bind takes its source from the host, so an `--ro` of
  // a parent made after the hiding would bring the home back.
  for (const real of readOnly) if (reach.has(real)) args.push('--ro-bind', real, real);
  for (const real of hidden) {
    if (!reach.has(real)) continue;
    if ((await stat(real)).isDirectory()) args.push('--tmpfs', real);
    else args.push('--ro-bind', '/dev/null', real);
  }
  let socket = relay;
  if (socket === null) {
    const inner = join(options.runDir, PROXY_DIR);
    await mkdir(inner, { mode: 0o700, recursive: true });
    args.push('--bind', dirname(options.proxySocket), inner);
    socket = join(inner, basename(options.proxySocket));
  }
  if (options.cwd !== undefined) args.push('--chdir', options.cwd);
  args.push(
    '--',
    process.execPath,
    INSIDE,
    String(options.port),
    socket,
    options.command,
    ...options.args,
  );
  return args;
}

/**
 * Starts CMD in the sandbox and resolves with its exit status, like
 * `launch`. The agent's environment is the first line of a control
 * channel (fd 3), and signals are relayed over it after that:
 * bwrap itself does not forward them, and it ignores them here so that
 * CMD, not bwrap, decides how to stop. When this process dies the channel
 * closes and the sandbox is torn down (`--die-with-parent` as well).
 * With `user`, bwrap and CMD run as that user, and this process relays
 * the proxy's socket to it until CMD exits.
 */
export async function launchIsolated(options: SandboxOptions): Promise<number> {
  const { user } = options;
  let relay: Relay | null = null;
  try {
    if (user !== undefined) {
      // Made while the run directory is still 0700, then handed over.
      relay = await startRelay(join(options.runDir, RELAY_SOCKET), options.proxySocket, user);
      await shareRunDir(options.runDir, user);
    }
    const args = await sandboxArgs(options, relay?.path ?? null);
    return await startSandbox(options, args);
  } finally {
    await relay?.close();
  }
}

/** Starts bwrap with `args` and relays the environment and signals to `inside.ts`. */
function startSandbox(options: SandboxOptions, args: readonly string[]): Promise<number> {
  const { user } = options;
  const env =
    user === undefined
      ? options.env
      : { ...options.env, HOME: user.home, USER: user.name, LOGNAME: user.name };
  const signals = options.signals ?? process;
  return new Promise((resolve, reject) => {
    // `trap ''` makes bwrap ignore the terminal's signals (an ignored disposition survives exec).
    const child = spawn(
      '/bin/sh',
      ['-c', `trap '' INT TERM HUP QUIT; exec "$0" "$@"`, options.bwrap, ...args],
      // bwrap (PID 1 inside, readable there) gets no variable of the agent's:
      // the environment travels on the control channel, never argv or environ.
      {
        env: { PATH: options.env.PATH ?? '/usr/bin:/bin' },
        stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
        // libuv drops the supplementary groups too.
        ...(user === undefined ? {} : { uid: user.uid, gid: user.gid }),
      },
    );
    // A socket pair: the environment and signals go in, `start-failed` comes out.
    const control = child.stdio[3] as Duplex;
    control.on('error', () => {});
    control.write(`${JSON.stringify(env)}\n`);
    let said = '';
    control.on('data', (d: Buffer) => {
      said += d.toString('utf8');
    });
    const relays = FORWARDED_SIGNALS.map((signal) => {
      const relay = (): void => {
        control.write(`${signal}\n`);
      };
      signals.on(signal, relay);
      return [signal, relay] as const;
    });
    const stop = (): void => {
      for (const [signal, relay] of relays) signals.off(signal, relay);
    };
    child.once('error', (cause) => {
      stop();
      reject(new AirlockError('ERR_ISOLATION_UNAVAILABLE', 'cannot start the sandbox', { cause }));
    });
    child.once('close', (code, signal) => {
      stop();
      if (code === START_FAILED && said.includes('start-failed')) {
        reject(
          new AirlockError('ERR_COMMAND_FAILED', `cannot start ${options.command.slice(0, 200)}`),
        );
      } else resolve(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
    });
  });
}
