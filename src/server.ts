import { mkdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { dirname } from 'node:path';
import { agentAccess } from './agent-access.ts';
import {
  type ApiDeps,
  agentRoutes,
  applyRoutes,
  auditRoutes,
  caRoutes,
  createApiHandler,
  grantRoutes,
  placeholderRoutes,
  recordAgentExchange,
  serveJwks,
  serviceRoutes,
  sourceRoutes,
  taskRoutes,
} from './api/index.ts';
import {
  type AuditFileSink,
  type AuditLog,
  loadAuditSigner,
  openAuditLog,
  recordBeforeForward,
  startAuditFileSink,
  subscribeProxyAudit,
} from './audit/index.ts';
import { LeafCache } from './ca/index.ts';
import { AirlockError, type Clock, type WorkspaceId } from './core/index.ts';
import { type HomePaths, loadCaSet, loadInstanceKey, unlockHome } from './home/index.ts';
import { listenTcp, listenUnix, parseListenAddress } from './listen.ts';
import { createProxy, PROXY_CHANNELS, type ProxyOptions } from './proxy/index.ts';
import { PlaceholderTable } from './run/index.ts';
import { PolicySnapshot } from './snapshot.ts';
import { TaskTokens, type TokenPolicy } from './tokens/index.ts';
import {
  DEFAULT_MAX_SECRET_BYTES,
  SecretSnapshot,
  type SourcesStatus,
  Vault,
} from './vault/index.ts';

export interface ServeOptions {
  readonly paths: HomePaths;
  readonly passphrase?: string;
  /** `HOST:PORT` for the admin API; default from the home's config. */
  readonly api?: string;
  /** `HOST:PORT` for the proxy; default from the home's config. */
  readonly proxy?: string;
  /** Egress, SSRF allowances, resolution overrides and upstream trust for the proxy. */
  readonly proxyOptions?: ProxyOptions;
  /** Task token limits (TTL cap, default TTL, delegation depth); safe defaults otherwise. */
  readonly tokenPolicy?: Partial<TokenPolicy>;
  /**
   * The environment `env:` references read and exec providers take their
   * allowlisted variables from; default: a copy of this process's, taken at start.
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Appends every committed audit event to this file as a JSON line (`--audit-file`). */
  readonly auditFile?: string;
  readonly clock: Clock;
  readonly version: string;
}

export interface RunningServer {
  readonly api: { host: string; port: number };
  readonly proxy: { host: string; port: number };
  readonly socket: string;
  /** Re-resolves secret references (`airlock reload`, SIGHUP). */
  reload(): Promise<SourcesStatus>;
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
  let audit: AuditLog | null = null;
  let auditSink: AuditFileSink | null = null;
  let stopProxyAudit = () => {};
  // Stops recording, commits what is queued, then closes the file sink.
  const closeAudit = async () => {
    stopProxyAudit();
    await audit?.close();
    await auditSink?.close();
  };
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
    const auditLog = await openAuditLog({
      store,
      signer: await loadAuditSigner(store, instanceKey),
      instance: config.instanceId,
      clock,
      defaultWorkspace: workspace.id as WorkspaceId,
    });
    audit = auditLog;
    if (options.auditFile !== undefined) {
      auditSink = await startAuditFileSink(auditLog, options.auditFile, logAuditError);
    }
    const workspaceIds = new Set((await store.listWorkspaces()).map((w) => w.id as string));
    stopProxyAudit = subscribeProxyAudit(auditLog, {
      channels: PROXY_CHANNELS,
      owns: (ws) => workspaceIds.has(ws),
      onError: logAuditError,
    });
    const tokens = await TaskTokens.open({
      store,
      clock,
      instanceKey,
      ...(options.tokenPolicy === undefined ? {} : { policy: options.tokenPolicy }),
    });
    const leaves = new LeafCache({ ca: () => caSet.current, clock });
    const snapshot = new PolicySnapshot(store);
    await snapshot.refresh();
    const secrets = new SecretSnapshot({
      store,
      vault,
      clock,
      env: options.env ?? { ...process.env },
      maxValueBytes: DEFAULT_MAX_SECRET_BYTES,
    });
    await secrets.refresh();
    // Agent keys and task tokens alike; a token's holder gets its grants narrowed to its scope.
    const access = agentAccess({
      snapshot,
      tokens,
      store,
      onExchanged: (principal, body) => recordAgentExchange(auditLog, principal, body),
    });
    // Sealed placeholders (`airlock run`): the unexpired ones, by hash.
    const placeholders = new PlaceholderTable();
    placeholders.load(await store.listPlaceholders(clock.now()));
    const proxyServer = createProxy({
      authenticate: access.authenticate,
      bindings: access.bindings,
      internal: access.internal,
      secretValue: (ws, name) => secrets.value(ws, name),
      leafContext: (host) => leaves.secureContextFor(host),
      placeholders,
      // Invariant 5: an injection's record is durable before the credential leaves.
      // It names the stored secret's current version (null for a reference).
      beforeForward: async (event) => {
        const secretVersion =
          event.workspaceId === null
            ? null
            : await vault.currentVersion(event.workspaceId, event.secretName);
        return recordBeforeForward(auditLog, { ...event, secretVersion });
      },
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
        // Which Node and which flags (bin/node-flags.js) this process runs with.
        runtime: { node: process.version, flags: process.execArgv },
        sources: secrets.status(),
      }),
      health: () => {
        const s = secrets.status();
        return s.state === 'ok'
          ? { status: 'ok' }
          : {
              status: 'degraded',
              secrets: s.failing.map((f) => ({ name: f.secret, state: f.state, code: f.code })),
            };
      },
      instanceId: config.instanceId,
      instanceKey,
      audit: auditLog,
      onPolicyChange: async () => {
        // Policy first, so a revocation never waits on a slow source; then
        // resolve any reference a new or changed service uses for the first time.
        await snapshot.refresh();
        await secrets.refresh('new');
      },
      onCaChange: async () => {
        // The leaf cache notices the new CA by its fingerprint and re-issues.
        caSet = await loadCaSet(store, instanceKey);
      },
    };
    const sourceDeps = { secrets, onSourcesChange: () => secrets.refresh() };
    const handler = createApiHandler(deps, [
      ...agentRoutes(deps),
      ...serviceRoutes(deps),
      ...grantRoutes(deps),
      ...caRoutes(deps),
      ...auditRoutes(deps, { audit: auditLog }),
      ...taskRoutes(deps, tokens),
      ...placeholderRoutes(deps, { table: placeholders }),
      ...sourceRoutes(deps, sourceDeps),
      ...applyRoutes(deps, sourceDeps),
    ]);
    const tcp = createServer((req, res) => {
      if (!serveJwks(tokens, req, res)) handler(req, res, 'tcp');
    });
    const local = createServer((req, res) => {
      if (!serveJwks(tokens, req, res)) handler(req, res, 'socket');
    });
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
    // The proxy again, on a socket alone in its directory: what an isolated `airlock run` bridges to.
    await mkdir(dirname(paths.proxySocket), { recursive: true, mode: 0o700 });
    await proxyServer.listenUnix(paths.proxySocket).catch(async (err: unknown) => {
      await proxyServer.close();
      throw err;
    });
    // Expired tasks and tokens leave the store hourly; a failed prune is retried next hour.
    const pruneTokens = setInterval(() => void tokens.prune().catch(() => {}), 3_600_000);
    pruneTokens.unref();
    return {
      api,
      proxy,
      socket: paths.socket,
      reload: () => secrets.refresh(),
      close: async () => {
        clearInterval(pruneTokens);
        await proxyServer.close();
        await Promise.all(servers.map((s) => closeServer(s)));
        await rm(paths.socket, { force: true });
        await closeAudit();
        await store.close();
      },
    };
  } catch (err) {
    await Promise.all(servers.map((s) => closeServer(s)));
    await closeAudit().catch(() => {});
    await store.close();
    throw err;
  }
}

/**
 * An audit event that could not be recorded is reported as one JSON line on
 * stderr, by code only: its content may not be echoed anywhere.
 */
function logAuditError(err: unknown): void {
  const code = err instanceof AirlockError ? err.code : 'ERR_INTERNAL';
  process.stderr.write(
    `${JSON.stringify({ time: new Date().toISOString(), level: 'error', msg: 'audit record failed', code })}\n`,
  );
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
