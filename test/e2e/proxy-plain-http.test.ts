/**
 * Absolute-form plain-HTTP requests: injected for http bindings (with the
 * same SSRF guard and scope checks), refused for anything else.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { runChild } from '../helpers/child.ts';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import { type ProxyHarness, startProxy, testBinding } from '../helpers/proxy.ts';
import { basicProxyAuth, ResponseReader } from '../helpers/tunnel-client.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';
import { encodeFrame, FrameReader } from '../helpers/websocket.ts';

const KEY = 'alk_agent_plain_test_key';
const SECRET = 'plain-secret-value-44e0';
const HOST = 'plain.test.local';

let pki: TestPki;
let upstream: TestUpstream;
let proxy: ProxyHarness;

before(async () => {
  pki = await createTestPki();
  upstream = await startUpstream();
  proxy = await startProxy({
    pki,
    agents: {
      [KEY]: [
        testBinding({
          service: 'plain',
          secret: 'plain-key',
          host: HOST,
          port: upstream.port,
          scheme: 'http',
          paths: ['/v1/**'],
          auth: { kind: 'query', param: 'api_key' },
        }),
      ],
    },
    secrets: { 'plain-key': SECRET },
    options: {
      resolve: [{ host: HOST, port: upstream.port, address: '127.0.0.1' }],
      allowPrivate: ['127.0.0.1/32'],
    },
  });
});

after(async () => {
  await proxy.close();
  await upstream.close();
  await pki.cleanup();
});

function curl(url: string, key = KEY, extra: readonly string[] = []) {
  return runChild('curl', [
    '-sS',
    '-o',
    '-',
    '-w',
    '\n%{http_code}',
    '-D',
    '-',
    '--proxy',
    proxy.proxyUrl(key),
    ...extra,
    url,
  ]);
}

test('plain HTTP via absolute-form: the credential is injected, the agent-supplied one dropped', async () => {
  const r = await curl(`http://${HOST}:${upstream.port}/v1/items?api_key=stolen&page=2`, KEY, [
    '-H',
    'Authorization: Bearer stolen',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\n200$/);
  const rec = upstream.requests.find((x) => x.url.startsWith('/v1/items'));
  assert.ok(rec);
  assert.equal(rec.url, `/v1/items?page=2&api_key=${SECRET}`);
  assert.equal(rec.headers.host, `${HOST}:${upstream.port}`);
  assert.equal(rec.headers.authorization, undefined);
  assert.equal(rec.headers['proxy-authorization'], undefined);
  const e = proxy.forwarded.find((x) => x.path === '/v1/items');
  assert.equal(e?.scheme, 'http');
  assert.deepEqual(e?.queryNames, ['api_key', 'page']);
});

test('plain HTTP to an unbound host: 403 ERR_DESTINATION_DENIED', async () => {
  const r = await curl('http://unbound.test.local/v1/x');
  assert.match(r.stdout, /x-airlock-error: ERR_DESTINATION_DENIED/i);
  assert.match(r.stdout, /\n403$/);
});

test('plain HTTP outside the granted paths: 403 ERR_SCOPE_DENIED, not forwarded', async () => {
  const r = await curl(`http://${HOST}:${upstream.port}/admin`);
  assert.match(r.stdout, /x-airlock-error: ERR_SCOPE_DENIED/i);
  assert.equal(upstream.requests.filter((x) => x.url.startsWith('/admin')).length, 0);
});

test('plain HTTP with a bad key: 407 ERR_PROXY_AUTH_REQUIRED', async () => {
  const r = await curl(`http://${HOST}:${upstream.port}/v1/x`, 'wrong-key');
  assert.match(r.stdout, /x-airlock-error: ERR_PROXY_AUTH_REQUIRED/i);
  assert.match(r.stdout, /proxy-authenticate: Basic realm="airlock"/i);
  assert.match(r.stdout, /\n407$/);
});

test('an origin-form request to the proxy itself: 400 ERR_BAD_REQUEST', async () => {
  const socket = connect({ host: '127.0.0.1', port: proxy.port });
  const reader = new ResponseReader(socket);
  socket.write('GET /v1/x HTTP/1.1\r\nHost: whatever\r\n\r\n');
  const r = await reader.response();
  socket.destroy();
  assert.equal(r.status, 400);
  assert.equal(r.headers['x-airlock-error'], 'ERR_BAD_REQUEST');
});

test('plain HTTP to a bound name that resolves privately, without allowPrivate: ERR_PRIVATE_ADDRESS', async () => {
  const strict = await startProxy({
    pki,
    agents: {
      [KEY]: [
        testBinding({ service: 'p', secret: 's', host: HOST, port: upstream.port, scheme: 'http' }),
      ],
    },
    secrets: { s: SECRET },
    options: { resolve: [{ host: HOST, port: upstream.port, address: '127.0.0.1' }] },
  });
  try {
    const socket = connect({ host: '127.0.0.1', port: strict.port });
    const reader = new ResponseReader(socket);
    socket.write(
      `GET http://${HOST}:${upstream.port}/v1/private HTTP/1.1\r\nHost: ${HOST}\r\nProxy-Authorization: ${basicProxyAuth(KEY)}\r\n\r\n`,
    );
    const r = await reader.response();
    socket.destroy();
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-airlock-error'], 'ERR_PRIVATE_ADDRESS');
    assert.equal(upstream.requests.filter((x) => x.url.startsWith('/v1/private')).length, 0);
  } finally {
    await strict.close();
  }
});

test('plain WebSocket (ws://) via absolute-form: injected handshake, then echo', async () => {
  const socket = connect({ host: '127.0.0.1', port: proxy.port });
  const reader = new ResponseReader(socket);
  socket.write(
    `GET http://${HOST}:${upstream.port}/v1/ws HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n` +
      `Proxy-Authorization: ${basicProxyAuth(KEY)}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const head = await reader.head();
  assert.equal(head.status, 101);
  socket.removeAllListeners('data');
  const frames = new FrameReader(socket, reader.rest());
  socket.write(encodeFrame(0x1, Buffer.from('ping over http'), true));
  assert.equal((await frames.next())?.payload.toString(), 'ping over http');
  socket.destroy();
  const hs = upstream.requests.find((x) => x.url.startsWith('/v1/ws'));
  assert.equal(hs?.url, `/v1/ws?api_key=${SECRET}`);
});
