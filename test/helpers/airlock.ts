import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type WorkspaceId } from '../../src/core/index.ts';
import {
  type HomePaths,
  type InitRootKey,
  initHome,
  resolveHome,
  unlockHome,
} from '../../src/home/index.ts';
import type { ProxyOptions } from '../../src/proxy/index.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import type { Store } from '../../src/store/index.ts';
import { DEFAULT_MAX_SECRET_BYTES, Vault } from '../../src/vault/index.ts';
import { type ChildResult, runChild } from './child.ts';

export const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/** A fresh directory under the system temp dir; `cleanup` removes it. */
export async function tempDir(
  prefix = 'airlock-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface TestHome {
  readonly paths: HomePaths;
  readonly ownerKey: string;
  cleanup(): Promise<void>;
}

/** `airlock init` into a new temp home (in-process). */
export async function initTestHome(rootKey: InitRootKey = { kind: 'file' }): Promise<TestHome> {
  const { dir, cleanup } = await tempDir();
  const paths = resolveHome(join(dir, 'home'), {});
  const result = await initHome(paths, rootKey, systemClock);
  return { paths, ownerKey: result.ownerKey, cleanup };
}

/** Starts a server on the home with the API and the proxy on ephemeral ports. */
export function serveTestHome(
  paths: HomePaths,
  passphrase?: string,
  proxyOptions: ProxyOptions = {},
): Promise<RunningServer> {
  return startServer({
    paths,
    clock: systemClock,
    version: 'test',
    api: '127.0.0.1:0',
    proxy: '127.0.0.1:0',
    proxyOptions,
    ...(passphrase === undefined ? {} : { passphrase }),
  });
}

/** `airlock serve` running as a child process. */
export interface ServeChild {
  readonly child: ChildProcessWithoutNullStreams;
  /** The ports it listens on, from its start-up line; rejects if it exits first. */
  readonly listening: Promise<{ readonly api: number; readonly proxy: number }>;
  readonly exited: Promise<void>;
}

/**
 * Starts `airlock serve --home HOME` as a child process, with the API and
 * the proxy on ephemeral loopback ports and `args` after them; with only
 * PATH in its environment; as `user` when given. With `launcher` (a script
 * such as bin/airlock.js), that script is run instead of the CLI, in a
 * process group of its own so that the server under it can be signalled too.
 */
export function spawnServe(
  home: string,
  args: readonly string[],
  opts: {
    cwd?: string;
    user?: { readonly uid: number; readonly gid: number };
    launcher?: string;
  } = {},
): ServeChild {
  const ports = ['--api', '127.0.0.1:0', '--proxy', '127.0.0.1:0'];
  const argv = [opts.launcher ?? CLI, 'serve', '--home', home, ...ports, ...args];
  const child = spawn(process.execPath, argv, {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: opts.launcher !== undefined,
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    ...(opts.user === undefined ? {} : { uid: opts.user.uid, gid: opts.user.gid }),
  });
  child.stdin.end();
  child.stdout.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const listening = new Promise<{ api: number; proxy: number }>((resolve, reject) => {
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const api = /"api":"127\.0\.0\.1:(\d+)"/.exec(err);
      const proxy = /"proxy":"127\.0\.0\.1:(\d+)"/.exec(err);
      if (api !== null && proxy !== null) resolve({ api: Number(api[1]), proxy: Number(proxy[1]) });
    });
    child.once('exit', () => reject(new Error(`airlock serve exited: ${err}`)));
  });
  return { child, listening, exited };
}

export type CliResult = ChildResult;

/** Runs the CLI as a child process on this Node (24), with an explicit environment. */
export function runCli(
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return runChild(process.execPath, [CLI, ...args], {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.stdin === undefined ? {} : { input: options.stdin }),
  });
}

/** Calls the admin API over TCP with a bearer key; returns status and parsed JSON body. */
export async function api(
  server: RunningServer,
  key: string | null,
  method: string,
  path: string,
  body?: unknown,
  rawBody?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${server.api.port}${path}`, {
    method,
    headers,
    ...(rawBody !== undefined
      ? { body: rawBody }
      : body !== undefined
        ? { body: JSON.stringify(body) }
        : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The `error.code` of an API error body. */
export function errorCode(body: Record<string, unknown>): unknown {
  const error = body.error;
  return typeof error === 'object' && error !== null
    ? (error as Record<string, unknown>).code
    : undefined;
}

/** The home's vault and default workspace, opened in-process (no server); `close` closes the store. */
export async function openVault(
  paths: HomePaths,
  passphrase?: string,
): Promise<{
  vault: Vault;
  ws: WorkspaceId;
  store: Store;
  rootKey: Uint8Array;
  close: () => Promise<void>;
}> {
  const { rootKey, store } = await unlockHome(
    paths,
    passphrase === undefined ? {} : { passphrase },
  );
  const ws = (await store.getWorkspaceByName('default'))?.id as WorkspaceId;
  const vault = new Vault({
    store,
    rootKey,
    clock: systemClock,
    maxSecretBytes: DEFAULT_MAX_SECRET_BYTES,
  });
  return { vault, ws, store, rootKey, close: () => store.close() };
}
