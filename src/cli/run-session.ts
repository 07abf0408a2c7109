import { readFile } from 'node:fs/promises';
import type { ApiClient } from '../api/index.ts';
import { AirlockError } from '../core/index.ts';
import { isPlaceholder } from '../proxy/index.ts';
import {
  buildAgentEnv,
  caBundle,
  createRunDir,
  exchangeForNested,
  type PlaceholderVariable,
  type ProxyAddress,
  parseProxyAddress,
  RUN_MARKER,
  type RunDir,
  revokeNested,
  tokenFromEnv,
  writeCaFile,
} from '../run/index.ts';

/** What `airlock run` and `airlock env` ask for. */
export interface SessionRequest {
  /** The agent (admin mode), or the sub-agent the narrower token is for (nested mode). */
  readonly agent: string | null;
  readonly scope: readonly string[];
  readonly ttl: string | null;
  readonly onBehalfOf: string | null;
  readonly pass: readonly string[];
  /** `HOST:PORT` of the proxy as the agent reaches it; default from the server's status. */
  readonly proxy: string | null;
  /** False for `airlock env`: only Airlock's variables, no PATH or HOME. */
  readonly inherit: boolean;
  /** Write the CA bundle into this directory and keep it (`airlock env --out`). */
  readonly caDir: string | null;
  /** An isolated run: the agent reaches the proxy on 127.0.0.1 at its port, through the sandbox's bridge. */
  readonly loopback?: boolean;
}

/** A started session: the agent's environment, and how to end it. */
export interface Session {
  readonly env: Record<string, string>;
  readonly taskId: string | null;
  readonly expiresAt: string | null;
  /** The CA bundle the environment names. */
  readonly caFile: string;
  /** Revokes the task's tokens (admin mode) and removes the private directory. */
  end(): Promise<void>;
}

interface Started {
  readonly token: string;
  readonly task: { readonly id: string; readonly expiresAt: string };
}

interface Minted {
  readonly placeholders: readonly {
    readonly env: string | null;
    readonly placeholder: string;
  }[];
}

/** True inside `airlock run`: the environment carries the marker and a token. */
export function insideRun(env: Readonly<Record<string, string | undefined>>): boolean {
  return env[RUN_MARKER] !== undefined && tokenFromEnv(env) !== null;
}

/** `HOST:PORT` (IPv6 in brackets) → address; a wildcard bind is reached on loopback. */
function parseHostPort(text: string): ProxyAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (m === null || !(port > 0 && port < 65536)) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', 'the proxy address must be HOST:PORT');
  }
  const host = m[1] ?? m[2] ?? '';
  if (host === '0.0.0.0') return { host: '127.0.0.1', port };
  if (host === '::') return { host: '::1', port };
  return { host, port };
}

async function bundleFile(bundle: string, caDir: string | null): Promise<RunDir | string> {
  return caDir === null ? createRunDir(bundle) : writeCaFile(caDir, bundle);
}

/**
 * Starts a task through the admin API (`POST /v1/tasks`), mints its
 * placeholders (`POST /v1/tasks/:id/placeholders`), and builds the agent's
 * environment with the CA bundle in a private directory. Anything that
 * fails after the task started revokes it again.
 */
export async function startAdminSession(
  client: ApiClient,
  parent: Readonly<Record<string, string | undefined>>,
  req: SessionRequest,
): Promise<Session> {
  if (req.agent === null) throw new AirlockError('ERR_INVALID_ARGUMENT', '--agent is required');
  const started = await client.post<Started>('/v1/tasks', {
    agent: req.agent,
    ...(req.scope.length === 0 ? {} : { scope: req.scope }),
    ...(req.ttl === null ? {} : { ttl: req.ttl }),
    ...(req.onBehalfOf === null ? {} : { onBehalfOf: req.onBehalfOf }),
  });
  const taskId = started.task.id;
  const revoke = () => client.post('/v1/revocations', { task: taskId });
  let dir: RunDir | string | null = null;
  try {
    const minted = await client.post<Minted>(
      `/v1/tasks/${encodeURIComponent(taskId)}/placeholders`,
      {},
    );
    const served = parseHostPort(
      req.proxy ?? (await client.get<{ proxy: string }>('/v1/status')).proxy,
    );
    const proxy = req.loopback === true ? { host: '127.0.0.1', port: served.port } : served;
    const { ca } = await client.get<{ ca: { bundlePem: string } }>('/v1/ca');
    dir = await bundleFile(caBundle(ca.bundlePem), req.caDir);
    const caFile = typeof dir === 'string' ? dir : dir.caFile;
    const placeholders: PlaceholderVariable[] = [];
    for (const p of minted.placeholders) {
      if (p.env !== null) placeholders.push({ env: p.env, placeholder: p.placeholder });
    }
    const env = buildAgentEnv({
      parent,
      pass: req.pass,
      placeholders,
      proxy,
      token: started.token,
      caFile,
      inherit: req.inherit,
    });
    const owned = dir;
    return {
      env,
      taskId,
      expiresAt: started.task.expiresAt,
      caFile,
      async end() {
        try {
          await revoke();
        } finally {
          if (typeof owned !== 'string') await owned.remove();
        }
      },
    };
  } catch (err) {
    await revoke().catch(() => {});
    if (dir !== null && typeof dir !== 'string') await dir.remove();
    throw err;
  }
}

/**
 * A nested run: exchanges this run's token for a narrower one through
 * `airlock.internal`, keeps only the placeholders of the services the new
 * token may call, and copies the CA bundle into a new private directory.
 * The new token expires no later than this run's, and is revoked (with
 * anything derived from it) when the command ends.
 */
export async function startNestedSession(
  parent: Readonly<Record<string, string | undefined>>,
  req: SessionRequest,
): Promise<Session> {
  const token = tokenFromEnv(parent);
  const marker = parent[RUN_MARKER];
  if (token === null || marker === undefined) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', 'not inside `airlock run`');
  }
  const proxy = req.proxy === null ? parseProxyAddress(marker) : parseHostPort(req.proxy);
  const grant = await exchangeForNested(proxy, token, {
    scope: req.scope,
    actor: req.agent,
    ttl: req.ttl,
  });
  const placeholders: PlaceholderVariable[] = [];
  for (const name of grant.variables) {
    const value = parent[name];
    if (value !== undefined && isPlaceholder(value))
      placeholders.push({ env: name, placeholder: value });
  }
  const source = parent.SSL_CERT_FILE;
  if (source === undefined)
    throw new AirlockError('ERR_INVALID_ARGUMENT', 'SSL_CERT_FILE is not set');
  const dir = await bundleFile(await readFile(source, 'utf8'), req.caDir);
  const caFile = typeof dir === 'string' ? dir : dir.caFile;
  try {
    const env = buildAgentEnv({
      parent,
      pass: req.pass,
      placeholders,
      proxy,
      token: grant.token,
      caFile,
      inherit: req.inherit,
    });
    return {
      env,
      taskId: null,
      expiresAt: null,
      caFile,
      end: async () => {
        try {
          await revokeNested(proxy, grant.token);
        } finally {
          if (typeof dir !== 'string') await dir.remove();
        }
      },
    };
  } catch (err) {
    if (typeof dir !== 'string') await dir.remove();
    throw err;
  }
}
