import type { RunningServer } from '../../src/server.ts';
import {
  type CliResult,
  api as callApi,
  initTestHome,
  runCli,
  serveTestHome,
  type TestHome,
} from './airlock.ts';

/** A parsed admin API reply. */
export interface ApiReply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** A running server on a fresh temp home, driven through the API and the CLI. */
export interface AdminFixture {
  readonly home: TestHome;
  readonly server: RunningServer;
  /** Calls the API over TCP with `key` (the owner key unless given). */
  api(method: string, path: string, body?: unknown, key?: string): Promise<ApiReply>;
  /** Creates an admin API key with `role` (as the owner) and returns the key. */
  apiKey(name: string, role: 'admin' | 'operator' | 'auditor'): Promise<string>;
  /**
   * Runs `airlock ARGS… --home HOME` as a child process: over the home's
   * socket as the owner, or over TCP as `key` (`AIRLOCK_API`, `AIRLOCK_API_KEY`).
   */
  cli(args: readonly string[], options?: { key?: string; stdin?: string }): Promise<CliResult>;
  /** Stops the server and removes the home. */
  close(): Promise<void>;
}

/** `initHome` (file root key) on a temp home, then `startServer` with the API on 127.0.0.1:0. */
export async function startAdmin(): Promise<AdminFixture> {
  const home = await initTestHome();
  let server: RunningServer;
  try {
    server = await serveTestHome(home.paths);
  } catch (err) {
    await home.cleanup();
    throw err;
  }
  const api: AdminFixture['api'] = (method, path, body, key = home.ownerKey) =>
    callApi(server, key, method, path, body);
  return {
    home,
    server,
    api,
    async apiKey(name, role) {
      const { status, body } = await api('POST', '/v1/apikeys', { name, role });
      if (status !== 201 || typeof body.key !== 'string') {
        throw new Error(`creating the ${role} key answered ${status}`);
      }
      return body.key;
    },
    cli: (args, options = {}) =>
      runCli([...args, '--home', home.paths.home], {
        ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
        ...(options.key === undefined
          ? {}
          : {
              env: {
                AIRLOCK_API: `http://127.0.0.1:${server.api.port}`,
                AIRLOCK_API_KEY: options.key,
              },
            }),
      }),
    async close() {
      await server.close();
      await home.cleanup();
    },
  };
}
