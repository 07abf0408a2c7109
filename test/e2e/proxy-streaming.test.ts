/**
 * Streaming through the interception: SSE arrives event by event, a
 * WebSocket echoes with the credential in its handshake, bodies stream with
 * their limits counted on the way, and upstream failures get the proxy's
 * own 502/504 errors.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { after, before, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { AGENT_TLS_RECORD_BYTES } from '../../src/proxy/intercept.ts';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import { type ProxyHarness, startProxy, testBinding } from '../helpers/proxy.ts';
import { openTunnel, type RawResponse, ResponseReader } from '../helpers/tunnel-client.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { encodeFrame, FrameReader } from '../helpers/websocket.ts';

const KEY = 'alk_agent_streaming_test_key';
const SECRET = 'sk-stream-secret-0b77';
const HOST = 'api.test.local';
const LIMIT = 64 * 1024;

let pki: TestPki;
let upstream: TestUpstream;
let proxy: ProxyHarness;
let deadPort: number;
let releaseSecondEvent: () => void = () => {};
const firstEventSeen = new Promise<void>((resolve) => {
  releaseSecondEvent = resolve;
});

before(async () => {
  pki = await createTestPki();
  upstream = await startUpstream({
    tls: pki.upstreamCert(HOST),
    routes: {
      '/v1/sse': async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('data: one\n\n');
        // The second event waits until the test has seen the first through the proxy.
        await firstEventSeen;
        res.end('data: two\n\n');
      },
      '/v1/big-declared': (_req, res) => {
        res.writeHead(200, { 'content-length': String(LIMIT * 2) });
        res.end(Buffer.alloc(LIMIT * 2, 0x61));
      },
      '/v1/big-chunked': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.alloc(LIMIT * 2, 0x62));
      },
      '/v1/streamed-60k': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(Buffer.alloc(60 * 1024, 0x64));
      },
      '/v1/cut-short': (_req, res) => {
        // Declares 1,000 bytes, sends 100, then drops the connection.
        res.writeHead(200, { 'content-length': '1000' });
        res.write(Buffer.alloc(100, 0x63), () => res.socket?.destroy());
      },
      '/v1/hang': () => {
        // Never answers: the proxy's upstream timeout must.
      },
      '/v1/echo-size': (req, res) => {
        let n = 0;
        req.on('data', (d: Buffer) => {
          n += d.length;
        });
        req.on('end', () => {
          const body = JSON.stringify({ bytes: n });
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          res.end(body);
        });
      },
    },
  });
  const closed = await startUpstream();
  deadPort = closed.port;
  await closed.close();
  proxy = await startProxy({
    pki,
    agents: {
      [KEY]: [
        testBinding({ service: 'api', secret: 'api-key', host: HOST, port: upstream.port }),
        // Same upstream, but its certificate does not name this host.
        testBinding({
          service: 'wrong-cert',
          secret: 'api-key',
          host: 'mismatch.test.local',
          port: upstream.port,
        }),
        testBinding({
          service: 'dead',
          secret: 'api-key',
          host: 'dead.test.local',
          port: deadPort,
        }),
      ],
    },
    secrets: { 'api-key': SECRET },
    options: {
      resolve: [
        { host: HOST, port: upstream.port, address: '127.0.0.1' },
        { host: 'mismatch.test.local', port: upstream.port, address: '127.0.0.1' },
        { host: 'dead.test.local', port: deadPort, address: '127.0.0.1' },
      ],
      allowPrivate: ['127.0.0.1/32'],
      limits: {
        maxRequestBodyBytes: LIMIT,
        maxResponseBodyBytes: LIMIT,
        maxHeaderBytes: 4096,
        upstreamTimeoutMs: 300,
      },
    },
  });
});

after(async () => {
  releaseSecondEvent();
  await proxy.close();
  await upstream.close();
  await pki.cleanup();
});

function tunnel(host = HOST, port = upstream.port): Promise<TLSSocket> {
  return openTunnel(proxy.port, host, port, { key: KEY, ca: pki.airlockCa.certPem });
}

async function send(host: string, port: number, head: string, body?: Buffer): Promise<RawResponse> {
  const tls = await tunnel(host, port);
  const reader = new ResponseReader(tls);
  tls.write(head);
  if (body) tls.write(body);
  try {
    return await reader.response();
  } finally {
    tls.destroy();
  }
}

function errorCode(r: RawResponse): string | undefined {
  return r.headers['x-airlock-error'];
}

test('SSE: the client receives the first event before the upstream sends the second', async () => {
  const tls = await tunnel();
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpRequest({
      createConnection: () => tls,
      path: '/v1/sse',
      headers: { host: `${HOST}:${upstream.port}`, accept: 'text/event-stream' },
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end();
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['content-type'], 'text/event-stream');
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res) {
    text += chunk;
    if (text === 'data: one\n\n') releaseSecondEvent();
  }
  assert.equal(text, 'data: one\n\ndata: two\n\n');
  tls.destroy();
  assert.equal(
    upstream.requests.find((r) => r.url === '/v1/sse')?.headers.authorization,
    `Bearer ${SECRET}`,
  );
});

test('WebSocket: the handshake carries the credential, then frames echo both ways', async () => {
  const tls = await tunnel();
  const reader = new ResponseReader(tls);
  tls.write(
    `GET /v1/ws HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
      'Authorization: Bearer stolen\r\n\r\n',
  );
  const head = await reader.head();
  assert.equal(head.status, 101);
  assert.equal(head.headers.upgrade?.toLowerCase(), 'websocket');
  tls.removeAllListeners('data');
  const frames = new FrameReader(tls, reader.rest());
  for (const text of ['hello', 'x'.repeat(70_000)]) {
    tls.write(encodeFrame(0x1, Buffer.from(text), true));
    const echo = await frames.next();
    assert.equal(echo?.opcode, 0x1);
    assert.equal(echo?.payload.toString(), text);
  }
  tls.write(encodeFrame(0x8, Buffer.alloc(0), true));
  assert.equal((await frames.next())?.opcode, 0x8);
  tls.destroy();
  const hs = upstream.requests.find((r) => r.url === '/v1/ws');
  assert.equal(hs?.headers.authorization, `Bearer ${SECRET}`);
  assert.equal(hs?.headers.upgrade, 'websocket');
  await proxy.waitFor(
    () => proxy.forwarded.some((e) => e.upgrade && e.path === '/v1/ws'),
    'upgrade event',
  );
});

/** Passes the tunnel's bytes on to TLS, noting the length of every record the proxy sends. */
function recordTap(raw: Socket, lengths: number[]): Duplex {
  let pending = Buffer.alloc(0);
  const tap = new Duplex({
    read() {
      raw.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      raw.write(chunk, callback);
    },
    final(callback) {
      raw.end();
      callback();
    },
  });
  raw.on('data', (d: Buffer) => {
    pending = Buffer.concat([pending, d]);
    while (pending.length >= 5) {
      const length = pending.readUInt16BE(3);
      if (pending.length < 5 + length) break;
      lengths.push(length);
      pending = pending.subarray(5 + length);
    }
    if (!tap.push(d)) raw.pause();
  });
  raw.once('end', () => tap.push(null));
  raw.once('close', () => tap.destroy());
  return tap;
}

test('TLS records to the agent carry at most AGENT_TLS_RECORD_BYTES of plaintext', async () => {
  const lengths: number[] = [];
  const tls = await openTunnel(proxy.port, HOST, upstream.port, {
    key: KEY,
    ca: pki.airlockCa.certPem,
    through: (raw) => recordTap(raw, lengths),
  });
  const reader = new ResponseReader(tls);
  tls.write(`GET /v1/streamed-60k HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n\r\n`);
  const r = await reader.response();
  tls.destroy();
  assert.equal(r.status, 200);
  assert.equal(r.body, 'd'.repeat(60 * 1024));
  // A record's ciphertext is its plaintext plus at most 256 bytes (RFC 8446
  // §5.2; 17 here: the content-type byte and the AES-GCM tag).
  const most = Math.max(...lengths);
  assert.ok(most <= AGENT_TLS_RECORD_BYTES + 256, `a record of ${most} bytes`);
  assert.ok(most > AGENT_TLS_RECORD_BYTES, `no full record among ${lengths.length}`);
});

test('a request body streams through intact up to the limit', async () => {
  const body = randomBytes(LIMIT);
  const r = await send(
    HOST,
    upstream.port,
    `POST /v1/echo-size HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\nTransfer-Encoding: chunked\r\n\r\n`,
    Buffer.concat([
      Buffer.from(`${body.length.toString(16)}\r\n`),
      body,
      Buffer.from('\r\n0\r\n\r\n'),
    ]),
  );
  assert.equal(r.status, 200);
  assert.deepEqual(JSON.parse(r.body), { bytes: LIMIT });
});

test('a declared request body over the limit: 413 ERR_PAYLOAD_TOO_LARGE before anything is forwarded', async () => {
  const before = upstream.requests.length;
  const r = await send(
    HOST,
    upstream.port,
    `POST /v1/too-big HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\nContent-Length: ${LIMIT + 1}\r\n\r\n`,
  );
  assert.equal(r.status, 413);
  assert.equal(errorCode(r), 'ERR_PAYLOAD_TOO_LARGE');
  assert.equal(upstream.requests.length, before);
});

test('a chunked request body that grows over the limit is cut off with 413, before anything is forwarded', async () => {
  const chunk = Buffer.alloc(LIMIT, 0x63);
  const piece = Buffer.concat([
    Buffer.from(`${chunk.length.toString(16)}\r\n`),
    chunk,
    Buffer.from('\r\n'),
  ]);
  const echoed = upstream.requests.filter((x) => x.url === '/v1/echo-size').length;
  const tls = await tunnel();
  const reader = new ResponseReader(tls);
  tls.write(
    `POST /v1/echo-size HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\nTransfer-Encoding: chunked\r\n\r\n`,
  );
  tls.write(piece);
  tls.write(piece);
  const r = await reader.response();
  tls.destroy();
  assert.equal(r.status, 413);
  assert.equal(errorCode(r), 'ERR_PAYLOAD_TOO_LARGE');
  // The body is read (up to the substitution window) before anything is
  // forwarded, so the refusal is on record and the upstream saw nothing.
  await proxy.waitFor(
    () => proxy.denied.some((e) => e.code === 'ERR_PAYLOAD_TOO_LARGE' && e.method === 'POST'),
    'the refusal on record',
  );
  assert.equal(upstream.requests.filter((x) => x.url === '/v1/echo-size').length, echoed);
});

test('a declared response over the limit: 502 ERR_UPSTREAM_RESPONSE_TOO_LARGE', async () => {
  const r = await send(
    HOST,
    upstream.port,
    `GET /v1/big-declared HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n\r\n`,
  );
  assert.equal(r.status, 502);
  assert.equal(errorCode(r), 'ERR_UPSTREAM_RESPONSE_TOO_LARGE');
});

test('a small sized body the upstream cuts short: 502 before anything reached the agent', async () => {
  const r = await send(
    HOST,
    upstream.port,
    `GET /v1/cut-short HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n\r\n`,
  );
  assert.equal(r.status, 502);
  assert.equal(errorCode(r), 'ERR_UPSTREAM_UNREACHABLE');
  await proxy.waitFor(
    () =>
      proxy.forwarded.some(
        (e) => e.path === '/v1/cut-short' && e.error === 'ERR_UPSTREAM_UNREACHABLE',
      ),
    'the cut on record',
  );
});

test('a streamed response that grows over the limit is aborted', async () => {
  const tls = await tunnel();
  const reader = new ResponseReader(tls);
  tls.write(`GET /v1/big-chunked HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n\r\n`);
  await assert.rejects(reader.response(), /closed before a complete response/);
  await proxy.waitFor(
    () =>
      proxy.forwarded.some(
        (e) => e.path === '/v1/big-chunked' && e.error === 'ERR_UPSTREAM_RESPONSE_TOO_LARGE',
      ),
    'abort on record',
  );
});

test('request headers over the limit: 431 ERR_HEADERS_TOO_LARGE, in a tunnel and at the listener', async () => {
  const big = `X-Big: ${'b'.repeat(8192)}\r\n`;
  const r = await send(
    HOST,
    upstream.port,
    `GET /v1/x HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n${big}\r\n`,
  );
  assert.equal(r.status, 431);
  assert.equal(errorCode(r), 'ERR_HEADERS_TOO_LARGE');
  assert.equal(upstream.requests.filter((x) => x.url === '/v1/x').length, 0);

  const { connect } = await import('node:net');
  const socket = connect({ host: '127.0.0.1', port: proxy.port });
  const reader = new ResponseReader(socket);
  socket.write(`CONNECT ${HOST}:${upstream.port} HTTP/1.1\r\nHost: x\r\n${big}\r\n`);
  const front = await reader.response();
  socket.destroy();
  assert.equal(front.status, 431);
  assert.equal(errorCode(front), 'ERR_HEADERS_TOO_LARGE');
});

test('upstream unreachable: 502 ERR_UPSTREAM_UNREACHABLE', async () => {
  const r = await send(
    'dead.test.local',
    deadPort,
    `GET /x HTTP/1.1\r\nHost: dead.test.local:${deadPort}\r\n\r\n`,
  );
  assert.equal(r.status, 502);
  assert.equal(errorCode(r), 'ERR_UPSTREAM_UNREACHABLE');
  assert.ok(!r.body.includes(SECRET));
});

test('upstream certificate that does not verify: 502 ERR_UPSTREAM_TLS, and the credential never left', async () => {
  const before = upstream.requests.length;
  const r = await send(
    'mismatch.test.local',
    upstream.port,
    `GET /x HTTP/1.1\r\nHost: mismatch.test.local:${upstream.port}\r\n\r\n`,
  );
  assert.equal(r.status, 502);
  assert.equal(errorCode(r), 'ERR_UPSTREAM_TLS');
  assert.equal(upstream.requests.length, before);
});

test('upstream that never answers: 504 ERR_UPSTREAM_TIMEOUT', async () => {
  const r = await send(
    HOST,
    upstream.port,
    `GET /v1/hang HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n\r\n`,
  );
  assert.equal(r.status, 504);
  assert.equal(errorCode(r), 'ERR_UPSTREAM_TIMEOUT');
});

test('upstream signed by a CA the proxy does not trust: 502 ERR_UPSTREAM_TLS', async () => {
  const untrusting = await startProxy({
    pki,
    agents: {
      [KEY]: [testBinding({ service: 'api', secret: 'api-key', host: HOST, port: upstream.port })],
    },
    secrets: { 'api-key': SECRET },
    options: {
      upstreamCa: [],
      resolve: [{ host: HOST, port: upstream.port, address: '127.0.0.1' }],
      allowPrivate: ['127.0.0.1/32'],
    },
  });
  try {
    const before = upstream.requests.length;
    const tls = await openTunnel(untrusting.port, HOST, upstream.port, {
      key: KEY,
      ca: pki.airlockCa.certPem,
    });
    const reader = new ResponseReader(tls);
    tls.write(`GET /v1/untrusted HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n\r\n`);
    const r = await reader.response();
    tls.destroy();
    assert.equal(r.status, 502);
    assert.equal(errorCode(r), 'ERR_UPSTREAM_TLS');
    assert.equal(upstream.requests.length, before);
  } finally {
    await untrusting.close();
  }
});

test('slowloris: a tunnel that never completes a request head gets 408 ERR_REQUEST_TIMEOUT and is closed', async () => {
  const impatient = await startProxy({
    pki,
    agents: {
      [KEY]: [testBinding({ service: 'api', secret: 'api-key', host: HOST, port: upstream.port })],
    },
    secrets: { 'api-key': SECRET },
    options: {
      resolve: [{ host: HOST, port: upstream.port, address: '127.0.0.1' }],
      allowPrivate: ['127.0.0.1/32'],
      limits: { headersTimeoutMs: 200 },
    },
  });
  try {
    const tls = await openTunnel(impatient.port, HOST, upstream.port, {
      key: KEY,
      ca: pki.airlockCa.certPem,
    });
    const reader = new ResponseReader(tls);
    tls.write('GET /v1/slow HTTP/1.1\r\nHost: ');
    const r = await reader.response();
    assert.equal(r.status, 408);
    assert.equal(errorCode(r), 'ERR_REQUEST_TIMEOUT');
    await reader.closed;
    assert.equal(upstream.requests.filter((x) => x.url === '/v1/slow').length, 0);
  } finally {
    await impatient.close();
  }
});
