/**
 * Sealed placeholders through the real proxy: substitution in header
 * values, path, query and bodies (JSON and form values escaped for their
 * encoding, Content-Length recomputed, a long body streamed), refusal of a
 * placeholder sent to a host its secret is not bound to, from another
 * task, after its task ended or without a task (403
 * ERR_PLACEHOLDER_DESTINATION, never forwarded, an exfiltration event), and
 * response scrubbing of echoed secrets, compressed or not.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { AgentId, WorkspaceId } from '../../src/core/index.ts';
import { systemClock } from '../../src/core/index.ts';
import {
  type AgentPrincipal,
  createProxy,
  PROXY_CHANNELS,
  type ProxyDeniedEvent,
  type ProxyExfiltrationEvent,
  type ProxyServer,
} from '../../src/proxy/index.ts';
import { hashPlaceholder, mintPlaceholder, PlaceholderTable } from '../../src/run/index.ts';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import { testBinding } from '../helpers/proxy.ts';
import { openTunnel, type RawResponse, ResponseReader } from '../helpers/tunnel-client.ts';
import { startUpstream, type TestUpstream, type UpstreamHandler } from '../helpers/upstream.ts';

const WS = 'ws_ph' as WorkspaceId;
const A = 'api.a.test';
const B = 'api.b.test';
const OPENAI = 'sk-real-0penai-9f8e7d6c5b4a';
const OTHER = 'tok"other\\val&x=1 y+z/ü';
const KEY_T1 = 'alk_agent_task_one';
const KEY_T2 = 'alk_agent_task_two';
const KEY_T3 = 'alk_agent_task_ended';
const KEY_NONE = 'alk_agent_plain_key';
const P1 = mintPlaceholder();
const P1B = mintPlaceholder();
const P2 = mintPlaceholder();
const P3 = mintPlaceholder();

let pki: TestPki;
let upA: TestUpstream;
let upB: TestUpstream;
let proxy: ProxyServer;
let port: number;
const denied: ProxyDeniedEvent[] = [];
const exfil: ProxyExfiltrationEvent[] = [];
const onDenied = (m: unknown): void => {
  denied.push(m as ProxyDeniedEvent);
};
const onExfil = (m: unknown): void => {
  exfil.push(m as ProxyExfiltrationEvent);
};

/** Echoes the request's headers and body back as JSON, optionally gzipped whatever was asked. */
function echo(gzip: boolean): UpstreamHandler {
  return (req, res, record) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      record.body = Buffer.concat(parts).toString('utf8');
      const out = Buffer.from(
        JSON.stringify({ url: req.url, headers: req.headers, body: record.body }),
      );
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-echo-auth': String(req.headers.authorization ?? ''),
        etag: '"v1"',
      };
      const body = gzip ? gzipSync(out) : out;
      if (gzip) headers['content-encoding'] = 'gzip';
      headers['content-length'] = String(body.length);
      res.writeHead(200, headers);
      res.end(body);
    });
  };
}

function principal(n: number, task: string | null): AgentPrincipal {
  const base = { agentId: 'agent_1' as AgentId, agentName: 'coder', workspaceId: WS };
  if (task === null) return base;
  return {
    ...base,
    task: {
      taskId: task,
      jti: `tok_${n}`,
      scope: [],
      expiresAt: Date.now() + 3_600_000,
      chain: [],
    },
  };
}

before(async () => {
  pki = await createTestPki();
  const routes = { '/echo': echo(false), '/gzip-echo': echo(true) };
  upA = await startUpstream({ tls: pki.upstreamCert(A), routes });
  upB = await startUpstream({ tls: pki.upstreamCert(B), routes });
  const principals = new Map<string, AgentPrincipal>([
    [KEY_T1, principal(1, 'task_1')],
    [KEY_T2, principal(2, 'task_2')],
    [KEY_T3, principal(3, 'task_3')],
    [KEY_NONE, principal(4, null)],
  ]);
  const bindings = [
    testBinding({ service: 'openai', secret: 'openai', host: A, port: upA.port }),
    testBinding({
      service: 'bsvc',
      secret: 'other',
      host: B,
      port: upB.port,
      auth: { kind: 'header', header: 'x-api-key', prefix: '' },
    }),
  ];
  const table = new PlaceholderTable();
  const now = Date.now();
  const add = (text: string, taskId: string, secretName: string, expiresAt: number): void =>
    table.add(
      {
        hash: hashPlaceholder(text),
        workspaceId: WS,
        taskId,
        secretName,
        createdAt: now - 10,
        expiresAt,
      },
      text,
    );
  add(P1, 'task_1', 'openai', now + 3_600_000);
  add(P1B, 'task_1', 'other', now + 3_600_000);
  add(P2, 'task_2', 'openai', now + 3_600_000);
  add(P3, 'task_3', 'openai', now - 1);
  const secrets: Record<string, string> = { openai: OPENAI, other: OTHER };
  proxy = createProxy({
    authenticate: (key) => principals.get(key) ?? null,
    bindings: () => bindings,
    secretValue: async (_ws, name) => secrets[name] ?? '',
    leafContext: (host) => pki.leafCache.secureContextFor(host),
    placeholders: table,
    clock: systemClock,
    options: {
      upstreamCa: [pki.upstreamCaPem],
      resolve: [
        { host: A, port: upA.port, address: '127.0.0.1' },
        { host: B, port: upB.port, address: '127.0.0.1' },
      ],
      allowPrivate: ['127.0.0.1/32'],
      limits: { maxRequestBodyBytes: 4 * 1024 * 1024 },
    },
  });
  port = (await proxy.listen('127.0.0.1', 0)).port;
  subscribe(PROXY_CHANNELS.denied, onDenied);
  subscribe(PROXY_CHANNELS.exfiltration, onExfil);
});

after(async () => {
  unsubscribe(PROXY_CHANNELS.denied, onDenied);
  unsubscribe(PROXY_CHANNELS.exfiltration, onExfil);
  await proxy.close();
  await upA.close();
  await upB.close();
  await pki.cleanup();
});

interface Req {
  readonly key?: string;
  readonly host?: string;
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer | string;
}

async function send(r: Req): Promise<RawResponse> {
  const host = r.host ?? A;
  const upPort = host === A ? upA.port : upB.port;
  const tls = await openTunnel(port, host, upPort, {
    key: r.key ?? KEY_T1,
    ca: pki.airlockCa.certPem,
  });
  const reader = new ResponseReader(tls);
  const body = r.body === undefined ? null : Buffer.from(r.body);
  let head = `${r.method ?? (body === null ? 'GET' : 'POST')} ${r.path} HTTP/1.1\r\nHost: ${host}:${upPort}\r\n`;
  for (const [k, v] of Object.entries(r.headers ?? {})) head += `${k}: ${v}\r\n`;
  if (body !== null) head += `Content-Length: ${body.length}\r\n`;
  tls.write(`${head}\r\n`);
  if (body !== null) tls.write(body);
  try {
    return await reader.response();
  } finally {
    tls.destroy();
  }
}

function last(up: TestUpstream) {
  const r = up.requests.at(-1);
  assert.ok(r, 'the upstream received a request');
  return r;
}

test('header placeholder: the upstream receives the value, the agent reads back only the placeholder', async () => {
  const r = await send({
    path: '/echo',
    headers: { Authorization: `Bearer ${P1}`, 'X-Org-Key': `key=${P1}` },
  });
  assert.equal(r.status, 200);
  const seen = last(upA);
  assert.equal(seen.headers.authorization, `Bearer ${OPENAI}`);
  assert.equal(seen.headers['x-org-key'], `key=${OPENAI}`);
  // The echo is scrubbed: body and headers.
  assert.ok(!r.body.includes(OPENAI));
  assert.equal(r.headers['x-echo-auth'], `Bearer ${P1}`);
  assert.equal(JSON.parse(r.body).headers['x-org-key'], `key=${P1}`);
  // The upstream was asked for an uncompressed answer; the small sized echo
  // was scrubbed whole and carries its new length.
  assert.equal(seen.headers['accept-encoding'], 'identity');
  assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)));
});

test('JSON body: the value is JSON-escaped, Content-Length recomputed, the echo scrubbed', async () => {
  const body = JSON.stringify({ key: P1B, note: 'keep' });
  const r = await send({
    host: B,
    path: '/echo',
    headers: { 'Content-Type': 'application/json' },
    body,
  });
  assert.equal(r.status, 200);
  const seen = last(upB);
  assert.deepEqual(JSON.parse(seen.body), { key: OTHER, note: 'keep' });
  assert.equal(Number(seen.headers['content-length']), Buffer.byteLength(seen.body));
  assert.ok(!r.body.includes(OTHER));
  assert.ok(!r.body.includes(JSON.stringify(OTHER).slice(1, -1)));
  assert.deepEqual(JSON.parse(JSON.parse(r.body).body), { key: P1B, note: 'keep' });
});

test('form body: the value is form-encoded as one field', async () => {
  const r = await send({
    host: B,
    path: '/echo',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `a=1&token=${P1B}&z=2`,
  });
  assert.equal(r.status, 200);
  const form = new URLSearchParams(last(upB).body);
  assert.equal(form.get('token'), OTHER);
  assert.equal(form.get('z'), '2');
  assert.ok(!r.body.includes(new URLSearchParams({ t: OTHER }).toString().slice(2)));
});

test('path and query placeholders are substituted percent-encoded', async () => {
  const r = await send({ host: B, path: `/echo?k=${P1B}&x=1` });
  assert.equal(r.status, 200);
  const url = new URL(last(upB).url, 'https://b');
  assert.equal(url.searchParams.get('k'), OTHER);
  assert.equal(url.searchParams.get('x'), '1');
  assert.ok(!r.body.includes(encodeURIComponent(OTHER)));
});

test('a long body streams with its placeholder past the first window substituted', async () => {
  const filler = 'x'.repeat(1024 * 1024 + 100);
  const body = `${filler}${P1B}.end`;
  const r = await send({ host: B, path: '/echo', body });
  assert.equal(r.status, 200);
  const seen = last(upB);
  assert.equal(seen.headers['transfer-encoding'], 'chunked');
  assert.equal(seen.body, `${filler}${OTHER}.end`);
});

test('compressed echo: an upstream that gzips anyway is decoded and scrubbed', async () => {
  const r = await send({
    path: '/gzip-echo',
    headers: { 'Accept-Encoding': 'gzip', 'X-Org-Key': P1 },
  });
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-encoding'], undefined);
  assert.equal(r.headers.etag, 'W/"v1"');
  assert.ok(!r.body.includes(OPENAI));
  assert.equal(JSON.parse(r.body).headers['x-org-key'], P1);
});

async function refused(r: Req, up: TestUpstream, reason: ProxyExfiltrationEvent['reason']) {
  const before = up.requests.length;
  const events = exfil.length;
  const res = await send(r);
  assert.equal(res.status, 403);
  assert.equal(res.headers['x-airlock-error'], 'ERR_PLACEHOLDER_DESTINATION');
  assert.equal(up.requests.length, before, 'the upstream received nothing');
  const e = exfil.at(-1);
  assert.equal(exfil.length, events + 1);
  assert.equal(e?.reason, reason);
  assert.ok(denied.some((d) => d.code === 'ERR_PLACEHOLDER_DESTINATION'));
  // Neither the event nor the answer holds a secret value, nor the answer the placeholder.
  for (const v of [OPENAI, OTHER]) assert.ok(!JSON.stringify(e).includes(v));
  assert.ok(!res.body.includes('alk_ph_'));
  return e;
}

test('placeholder-to-foreign-host: refused, recorded, the upstream receives nothing', async () => {
  const e = await refused(
    { host: B, path: '/echo', headers: { 'X-Leak': P1 } },
    upB,
    'destination',
  );
  assert.equal(e?.secretName, 'openai');
  assert.equal(e?.host, B);
  assert.equal(e?.site, 'header');
  // In a body, too.
  const b = await refused({ host: B, path: '/echo', body: `{"k":"${P1}"}` }, upB, 'destination');
  assert.equal(b?.site, 'body');
});

test('placeholder-from-another-task: refused, recorded, the upstream receives nothing', async () => {
  const e = await refused(
    { key: KEY_T2, path: '/echo', headers: { Authorization: `Bearer ${P1}` } },
    upA,
    'other-task',
  );
  assert.equal(e?.taskId, 'task_2');
  assert.equal(e?.placeholderTaskId, 'task_1');
});

test('placeholder-after-task-end: refused, recorded, the upstream receives nothing', async () => {
  await refused({ key: KEY_T3, path: `/echo?k=${P3}` }, upA, 'expired');
});

test('placeholder without a task (agent key) or never minted: refused', async () => {
  await refused({ key: KEY_NONE, path: '/echo', headers: { 'X-K': P1 } }, upA, 'no-task');
  await refused({ path: `/echo/${mintPlaceholder()}` }, upA, 'unknown');
});
