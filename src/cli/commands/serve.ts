import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { resolve } from 'node:path';
import { systemClock } from '../../core/index.ts';
import { limitCoreDumps } from '../../core-dumps.ts';
import { readConfig, resolveHome } from '../../home/index.ts';
import { startServer } from '../../server.ts';
import { SOURCE_CHANNELS } from '../../vault/index.ts';
import { type Command, flag, str } from '../command.ts';
import { readPassphrase } from '../passphrase.ts';
import { PROXY_HELP, PROXY_OPTIONS, proxyOptionsFromFlags } from '../proxy-flags.ts';
import { VERSION } from '../version.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary:
    'Run the Airlock server: the credential-injecting proxy and the admin API (TCP and the home socket).',
  help: `serve [--api HOST:PORT] [--proxy HOST:PORT] [--passphrase-stdin] [proxy options]

  --api HOST:PORT          admin API listener (default 127.0.0.1:4781)
  --audit-file PATH        also append every audit event to PATH as a JSON line
${PROXY_HELP}
  --passphrase-stdin       read the root key passphrase from stdin
  --home DIR               the Airlock home (default: $AIRLOCK_HOME, else ~/.airlock)
  -h, --help               show this help

Logs are JSON lines on stderr. SIGHUP re-resolves secret references (as
\`airlock reload\` does). Stop with Ctrl-C (SIGINT) or SIGTERM.`,
  options: {
    api: { type: 'string' },
    'audit-file': { type: 'string' },
    ...PROXY_OPTIONS,
    'passphrase-stdin': { type: 'boolean' },
  },
  positionals: [0, 0],
  async run({ io, values }) {
    const paths = resolveHome(str(values, 'home'), io.env);
    const config = await readConfig(paths);
    const passphrase =
      config.rootKey.source.kind === 'passphrase' ||
      config.pendingRootKey?.source.kind === 'passphrase'
        ? await readPassphrase(io, flag(values, 'passphrase-stdin'), 'passphrase: ')
        : undefined;
    const api = str(values, 'api');
    const auditFile = str(values, 'audit-file');
    const proxy = str(values, 'proxy');
    const proxyOptions = await proxyOptionsFromFlags(values);
    // Before any secret is in memory: a dump of this process holds none of it.
    limitCoreDumps();
    const server = await startServer({
      proxyOptions,
      ...(proxy === undefined ? {} : { proxy }),
      paths,
      env: { ...io.env },
      clock: systemClock,
      version: VERSION,
      ...(passphrase === undefined ? {} : { passphrase }),
      ...(api === undefined ? {} : { api }),
      ...(auditFile === undefined ? {} : { auditFile: resolve(auditFile) }),
    });
    const log = (msg: string, fields: Record<string, unknown>) =>
      io.err(
        `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, ...fields })}\n`,
      );
    // Secret sources: one line on entering and one on leaving degradation (names and codes, never values).
    const onDegraded = (event: unknown) => log('secret sources degraded', { event });
    const onRecovered = (event: unknown) => log('secret sources recovered', { event });
    subscribe(SOURCE_CHANNELS.degraded, onDegraded);
    subscribe(SOURCE_CHANNELS.recovered, onRecovered);
    const onHangup = () => {
      void server.reload().then(
        (s) => log('reloaded', { sources: s.state, failing: s.failing.length }),
        () => log('reload failed', {}),
      );
    };
    process.on('SIGHUP', onHangup);
    // Kept for the rest of the process: a terminal's Ctrl-C reaches this
    // process both directly and through `npx airlock`, which passes it on
    // (src/cli/launcher-signals.ts), and the copy may come during the close
    // or after it. It must neither cut the close short nor, finding no
    // listener, end the process by the default action (exit 130, not 0).
    // Signal listeners do not keep the process alive.
    const { promise: stopped, resolve: onStop } = Promise.withResolvers<void>();
    process.on('SIGINT', onStop);
    process.on('SIGTERM', onStop);
    // Only now, with every handler in place, is the server announced: a
    // signal sent on seeing this line must find them.
    log('listening', {
      api: `${server.api.host}:${server.api.port}`,
      proxy: `${server.proxy.host}:${server.proxy.port}`,
      socket: server.socket,
    });
    await stopped;
    process.off('SIGHUP', onHangup);
    unsubscribe(SOURCE_CHANNELS.degraded, onDegraded);
    unsubscribe(SOURCE_CHANNELS.recovered, onRecovered);
    log('stopping', {});
    await server.close();
    return 0;
  },
};
