import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock } from '../../src/core/index.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { api, type CliResult, initTestHome, runCli, type TestHome } from './airlock.ts';
import { type ChildResult, runChild } from './child.ts';
import { createTestPki, type TestPki } from './pki.ts';
import { startUpstream, type TestUpstream } from './upstream.ts';

export const SECRET = 'ghp_audit_test_value_0123456789abcd';
export const HOST = 'api.test.local';

/**
 * A running Airlock (API, proxy, `--audit-file`) on a temp home with a
 * secret, an agent `bot` granted GET on service `github` (an HTTPS upstream
 * on loopback), and an auditor API key. Driven through the real CLI, the
 * API over TCP, and curl through the proxy.
 */
export interface AuditProduct {
  readonly home: TestHome;
  readonly server: RunningServer;
  readonly upstream: TestUpstream;
  readonly auditFile: string;
  readonly agentKey: string;
  readonly auditorKey: string;
  /** `airlock ARGS… --home HOME`; asserts exit 0 unless `allowFail`. */
  cli(args: readonly string[], opts?: { stdin?: string; allowFail?: boolean }): Promise<CliResult>;
  /** The API over TCP as `key` (the owner unless given). */
  api(method: string, path: string, body?: unknown, key?: string | null): ReturnType<typeof api>;
  /** curl through the proxy as bot to `https://HOST:PORT{path}`. */
  curl(path: string, extra?: readonly string[]): Promise<ChildResult>;
  /** Polls the API until `GET /v1/audit?{query}` returns at least `n` events (no fixed sleeps). */
  waitForEvents(query: string, n: number): Promise<Record<string, unknown>[]>;
  /** Every byte of the store files and the audit file. */
  storedBytes(): Promise<string>;
  close(): Promise<void>;
}

export async function startAuditProduct(): Promise<AuditProduct> {
  const home = await initTestHome();
  const pki: TestPki = await createTestPki();
  const upstream = await startUpstream({ tls: pki.upstreamCert(HOST) });
  const auditFile = join(home.paths.home, '..', 'audit.jsonl');
  const server = await startServer({
    paths: home.paths,
    clock: systemClock,
    version: 'test',
    api: '127.0.0.1:0',
    proxy: '127.0.0.1:0',
    auditFile,
    proxyOptions: {
      allowPrivate: ['127.0.0.1/32'],
      resolve: [{ host: HOST, port: upstream.port, address: '127.0.0.1' }],
      upstreamCa: [pki.upstreamCaPem],
    },
  });
  const caFile = join(pki.dir, 'ca.pem');
  const cli: AuditProduct['cli'] = async (args, opts = {}) => {
    const r = await runCli(
      [...args, '--home', home.paths.home],
      opts.stdin === undefined ? {} : { stdin: opts.stdin },
    );
    if (opts.allowFail !== true) assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r;
  };
  const callApi: AuditProduct['api'] = (method, path, body, key = home.ownerKey) =>
    api(server, key, method, path, body);
  await cli(['secret', 'set', 'github'], { stdin: SECRET });
  const agentKey = (await cli(['agent', 'add', 'bot'])).stdout.trim();
  await cli([
    'service',
    'add',
    'github',
    '--host',
    `${HOST}:${upstream.port}`,
    '--secret',
    'github',
    '--auth',
    'bearer',
    '--path',
    '/repos/**',
  ]);
  await cli(['grant', 'bot', 'github', '--method', 'GET']);
  await writeFile(caFile, (await cli(['ca', 'export'])).stdout);
  const created = await callApi('POST', '/v1/apikeys', { name: 'auditor', role: 'auditor' });
  const auditorKey = String(created.body.key);
  return {
    home,
    server,
    upstream,
    auditFile,
    agentKey,
    auditorKey,
    cli,
    api: callApi,
    curl: (path, extra = []) =>
      runChild('curl', [
        '-sS',
        '--proxy',
        `http://127.0.0.1:${server.proxy.port}`,
        '--proxy-user',
        `bot:${agentKey}`,
        '--cacert',
        caFile,
        '-w',
        '\n%{http_code}',
        ...extra,
        `https://${HOST}:${upstream.port}${path}`,
      ]),
    async waitForEvents(query, n) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const r = await callApi('GET', `/v1/audit?limit=1000&${query}`);
        const events = r.body.events as Record<string, unknown>[];
        if (events.length >= n) return events;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${n} events of ${query}`);
        // Proxy events are recorded as the exchange ends: wait for the next commit.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    async storedBytes() {
      const files = [home.paths.store, `${home.paths.store}-wal`, auditFile];
      const parts = await Promise.all(files.map((f) => readFile(f).catch(() => Buffer.alloc(0))));
      return Buffer.concat(parts).toString('latin1');
    },
    async close() {
      await server.close();
      await upstream.close();
      await pki.cleanup();
      await home.cleanup();
    },
  };
}
