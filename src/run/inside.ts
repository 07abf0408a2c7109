// The first program inside an `airlock run` sandbox (docs/isolation.md).
// argv: PORT SOCKET CMD [ARGS...]. It listens on 127.0.0.1:PORT in the
// sandbox's network namespace, which has nothing but loopback, and relays
// each connection to the proxy's Unix socket: a new connection per client
// connection, so a restarted server is reached again. Then it starts CMD
// with the terminal and the environment sent as the first line of the
// control channel (fd 3), relays the signals named on later lines, and
// exits with CMD's status. It holds nothing the agent does not already
// have: its own environ is bwrap's (PATH only), and the proxy's socket
// directory is the only part of the Airlock home it can see (with
// `--user`, SOCKET is instead a relay of `airlock run`'s in the run
// directory, and the home is as out of reach as it is for that user).
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { constants } from 'node:os';
import { spliceTo } from './splice.ts';

const [portText, socketPath, command, ...args] = process.argv.slice(2);
const port = Number(portText);
if (!(port > 0 && port < 65536) || socketPath === undefined || command === undefined) {
  throw new TypeError('usage: inside.ts PORT SOCKET CMD [ARGS...]');
}

const control = new Socket({ fd: 3, readable: true, writable: true });
control.on('error', () => {});

// The terminal's signals reach CMD directly (same process group); this
// process relays only what `airlock run` sends, and must not die of them.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const)
  process.on(signal, () => {});

const bridge = createServer((client) => {
  spliceTo(client, socketPath);
});
await new Promise<void>((resolve, reject) => {
  bridge.once('error', reject);
  bridge.listen(port, '127.0.0.1', () => resolve());
});

/** The agent's environment: the control channel's first line, a JSON object of strings. */
function parseEnv(line: string): Record<string, string> {
  const parsed: unknown = JSON.parse(line);
  if (typeof parsed !== 'object' || parsed === null) throw new TypeError('bad environment');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') env[k] = v;
  return env;
}

let child: ChildProcess | null = null;
let buffered = '';
control.setEncoding('utf8').on('data', (d: string) => {
  buffered += d;
  let nl = buffered.indexOf('\n');
  while (nl >= 0) {
    const line = buffered.slice(0, nl);
    buffered = buffered.slice(nl + 1);
    if (child === null) child = start(parseEnv(line));
    else if (line === 'SIGINT' || line === 'SIGTERM' || line === 'SIGHUP') child.kill(line);
    nl = buffered.indexOf('\n');
  }
});
// `airlock run` is gone: nothing may outlive it.
control.on('end', () => {
  if (child === null) process.exit(1);
  child.kill('SIGKILL');
});

function start(env: Record<string, string>): ChildProcess {
  const started = spawn(command ?? '', args, { stdio: 'inherit', env });
  started.once('error', () => {
    control.end('start-failed\n', () => process.exit(127));
  });
  started.once('exit', (code, signal) => {
    bridge.close();
    process.exit(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
  });
  return started;
}
