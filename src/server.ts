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
import { LeafCache } from './ca/index.ts';
import { AirlockError, type Clock, type WorkspaceId } from './core/index.ts';
import { type HomePaths, loadCaSet, loadInstanceKey, unlockHome } from './home/index.ts';
import { listenTcp, listenUnix, parseListenAddress } from './listen.ts';
import { createProxy, type ProxyOptions } from './proxy/index.ts';
import { PolicySnapshot } from './snapshot.ts';
import { DEFAULT_MAX_SECRET_BYTES, Vault } from './vault/index.ts';

export interface ServeOptions {
  readonly paths: HomePaths;
  readonly passphrase?: string;
  /** `HOST:PORT` for the admin API; default from the home's config. */
  readonly api?: string;
  /** `HOST:PORT` for the proxy; default from the home's config. */
  readonly proxy?: string;
  /** Egress, SSRF allowances, resolution overrides and upstream trust for the proxy. */
  readonly proxyOptions?: ProxyOptions;
  readonly clock: Clock;
  readonly version: string;
}

export interface RunningServer {
  readonly api: { host: string; port: number };
  readonly proxy: { host: string; port: number };
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
    const proxyAddress = parseListenAddress(options.proxy ?? config.proxy, '--proxy');
    let caSet = await loadCaSet(store, instanceKey);
    const leaves = new LeafCache({ ca: () => caSet.current, clock });
    const snapshot = new PolicySnapshot(store);
    await snapshot.refresh();
    const proxyServer = createProxy({
      authenticate: (key) => snapshot.authenticate(key),
      bindings: (principal) => snapshot.bindings(principal),
      secretValue: (ws, name) => vault.current(ws, name),
      leafContext: (host) => leaves.secureContextFor(host),
      clock,
      options: options.proxyOptions ?? {},
    });
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
        proxy: `${proxy.host}:${proxy.port}`,
      }),
      instanceId: config.instanceId,
      instanceKey,
      onPolicyChange: () => snapshot.refresh(),
      onCaChange: async () => {
        // The leaf cache notices the new CA by its fingerprint and re-issues.
        caSet = await loadCaSet(store, instanceKey);
      },
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
    const proxy = await proxyServer
      .listen(proxyAddress.host, proxyAddress.port)
      .catch(async (err: unknown) => {
        await proxyServer.close();
        throw err;
      });
    return {
      api,
      proxy,
      socket: paths.socket,
      close: async () => {
        await proxyServer.close();
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
