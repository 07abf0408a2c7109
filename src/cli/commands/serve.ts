import { systemClock } from '../../core/index.ts';
import { readConfig, resolveHome } from '../../home/index.ts';
import { startServer } from '../../server.ts';
import { type Command, flag, str } from '../command.ts';
import { readPassphrase } from '../passphrase.ts';
import { VERSION } from '../version.ts';

export const serveCommand: Command = {
  name: 'serve',
  summary: 'Run the Airlock server: the admin API (TCP and the home socket) and the proxy.',
  help: `serve [--api HOST:PORT] [--passphrase-stdin]

  --api HOST:PORT      admin API listener (default 127.0.0.1:4781)
  --passphrase-stdin   read the root key passphrase from stdin
  --home DIR           the Airlock home (default: $AIRLOCK_HOME, else ~/.airlock)
  -h, --help           show this help

Logs are JSON lines on stderr. Stop with Ctrl-C (SIGINT) or SIGTERM.`,
  options: {
    api: { type: 'string' },
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
    const server = await startServer({
      paths,
      clock: systemClock,
      version: VERSION,
      ...(passphrase === undefined ? {} : { passphrase }),
      ...(api === undefined ? {} : { api }),
    });
    const log = (msg: string, fields: Record<string, unknown>) =>
      io.err(
        `${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg, ...fields })}\n`,
      );
    log('listening', { api: `${server.api.host}:${server.api.port}`, socket: server.socket });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    log('stopping', {});
    await server.close();
    return 0;
  },
};
