import { rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import {
  type ApiDeps,
  agentRoutes,
  caRoutes,
  createApiHandler,
  grantRoutes,
  serviceRoutes,
} from './api/index.ts';
import { AirlockError, type Clock, type WorkspaceId } from './core/index.ts';
import { type HomePaths, loadInstanceKey, unlockHome } from './home/index.ts';
import { listenTcp, listenUnix, parseListenAddress } from './listen.ts';
import { DEFAULT_MAX_SECRET_BYTES, Vault } from './vault/index.ts';

export interface ServeOptions {
  readonly paths: HomePaths;
  readonly passphrase?: string;
  /** `HOST:PORT` for the admin API; default from the home's config. */
  readonly api?: string;
  readonly clock: Clock;
  readonly version: string;
}

export interface RunningServer {
  readonly api: { host: string; port: number };
  readonly socket: string;
  close(): Promise<void>;
}

/**
 * The composition root: unlocks the home, builds the vault and the admin
 * API, and starts the listeners. Nothing else in Airlock wires modules together.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { paths, clock } = options;
  const { config, rootKey, store } = await unlockHome(
    paths,
    options.passphrase === undefined ? {} : { passphrase: options.passphrase },
  );
  const servers: Server[] = [];
  try {
    const workspace = await store.getWorkspaceByName('default');
    if (workspace === null)
      throw new AirlockError('ERR_STORE', 'the store has no default workspace');
    const vault = new Vault({ store, rootKey, clock, maxSecretBytes: DEFAULT_MAX_SECRET_BYTES });
    const apiAddress = parseListenAddress(options.api ?? config.api, '--api');
    const startedAt = new Date(clock.now()).toISOString();
    const instanceKey = await loadInstanceKey(store, rootKey);
    const deps: ApiDeps = {
      store,
      vault,
      clock,
      defaultWorkspace: workspace.id as WorkspaceId,
      status: () => ({
        version: options.version,
        instanceId: config.instanceId,
        startedAt,
        home: paths.home,
        rootKey: config.rootKey.source.kind,
        store: 'sqlite',
        api: `${api.host}:${api.port}`,
      }),
      instanceId: config.instanceId,
      instanceKey,
      // The proxy's snapshot refresh and leaf-cache reset hook in here once
      // the proxy listener is wired; until then nothing holds policy in memory.
      onPolicyChange: async () => {},
      onCaChange: async () => {},
    };
    const handler = createApiHandler(deps, [
      ...agentRoutes(deps),
      ...serviceRoutes(deps),
      ...grantRoutes(deps),
      ...caRoutes(deps),
    ]);
    const tcp = createServer((req, res) => handler(req, res, 'tcp'));
    const local = createServer((req, res) => handler(req, res, 'socket'));
    servers.push(tcp, local);
    for (const s of servers) {
      s.headersTimeout = 10_000;
      s.requestTimeout = 30_000;
    }
    const api = await listenTcp(tcp, apiAddress.host, apiAddress.port);
    await listenUnix(local, paths.socket);
    return {
      api,
      socket: paths.socket,
      close: async () => {
        await Promise.all(servers.map((s) => closeServer(s)));
        await rm(paths.socket, { force: true });
        await store.close();
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => closeServer(s)));
    await store.close();
    throw err;
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
