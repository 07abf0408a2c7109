/**
 * Refusals and pins: authentication, destination and scope decisions, the
 * tunnel's Host and SNI pins (invariant 8), prompt revocation inside an open
 * tunnel (invariant 4), and that nothing refused ever reaches the upstream
 * (invariant 2).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import { type ProxyHarness, startProxy, testBinding } from '../helpers/proxy.ts';
import {
  basicProxyAuth,
  connectError,
  openTunnel,
  type RawResponse,
  ResponseReader,
} from '../helpers/tunnel-client.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';

const KEY = 'alk_agent_policy_test_key';
const SECRET = 'sk-policy-secret-value-2c9e';
const HEADER_SECRET = 'hdr-secret-value-88aa';
const HOST = 'api.test.local';

let pki: TestPki;
let upstream: TestUpstream;
/** Serves hdr.test.local, whose service injects a custom header. */
let hdrUpstream: TestUpstream;
let proxy: ProxyHarness;

before(async () => {
  pki = await createTestPki();
  upstream = await startUpstream({
    tls: pki.upstreamCert(HOST),
    routes: {
      '/v1/redirect': (_req, res) => {
        res.writeHead(302, {
          location: 'https://elsewhere.test.local/landing',
          'content-length': '0',
        });
        res.end();
      },
    },
  });
  hdrUpstream = await startUpstream({ tls: pki.upstreamCert('hdr.test.local') });
  proxy = await startProxy({
    pki,
    agents: {
      [KEY]: [
        testBinding({
          service: 'api',
          secret: 'api-key',
          host: HOST,
          port: upstream.port,
          paths: ['/v1/**'],
          methods: ['GET', 'POST'],
        }),
        testBinding({
          service: 'hdr',
          secret: 'hdr-key',
          host: 'hdr.test.local',
          port: hdrUpstream.port,
          auth: { kind: 'header', header: 'X-Api-Key', prefix: '' },
        }),
        testBinding({
          service: 'plain',
          secret: 'api-key',
          host: 'plain.test.local',
          port: 8080,
          scheme: 'http',
        }),
      ],
    },
    secrets: { 'api-key': SECRET, 'hdr-key': HEADER_SECRET },
    options: {
      resolve: [
        { host: HOST, port: upstream.port, address: '127.0.0.1' },
        { host: 'hdr.test.local', port: hdrUpstream.port, address: '127.0.0.1' },
      ],
      allowPrivate: ['127.0.0.1/32'],
    },
  });
});

after(async () => {
  await proxy.close();
  await upstream.close();
  await hdrUpstream.close();
  await pki.cleanup();
});

/** A keep-alive connection inside one intercepted tunnel. */
async function tunnel(
  host = HOST,
  port = upstream.port,
): Promise<{
  tls: TLSSocket;
  reader: ResponseReader;
  send(head: string): Promise<RawResponse>;
}> {
  const tls = await openTunnel(proxy.port, host, port, { key: KEY, ca: pki.airlockCa.certPem });
  const reader = new ResponseReader(tls);
  return {
    tls,
    reader,
    send(head) {
      tls.write(head);
      return reader.response();
    },
  };
}

function get(path: string, host = `${HOST}:${upstream.port}`, extra = ''): string {
  return `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
}

function assertProxyError(r: RawResponse, status: number, code: string): void {
  assert.equal(r.status, status);
  assert.equal(r.headers['x-airlock-error'], code);
  assert.match(r.headers['content-type'] ?? '', /^application\/json/);
  const body = JSON.parse(r.body) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
}

function seen(path: string): number {
  return upstream.requests.filter((r) => r.url === path).length;
}

test('missing or unknown key: 407 with Basic and Bearer challenges and ERR_PROXY_AUTH_REQUIRED', async () => {
  for (const headers of [
    {},
    { 'Proxy-Authorization': basicProxyAuth('wrong') },
    { 'Proxy-Authorization': 'Bearer wrong' },
  ]) {
    const r = await connectError(proxy.port, `${HOST}:${upstream.port}`, headers);
    assertProxyError(r, 407, 'ERR_PROXY_AUTH_REQUIRED');
    assert.match(r.headers['proxy-authenticate'] ?? '', /Basic realm="airlock"/);
    assert.match(r.headers['proxy-authenticate'] ?? '', /Bearer realm="airlock"/);
  }
  assert.ok(proxy.denied.some((e) => e.code === 'ERR_PROXY_AUTH_REQUIRED' && e.agentId === null));
});

test('Bearer KEY authenticates a CONNECT like Basic does', async () => {
  const r = await connectError(proxy.port, 'unbound.test.local:443', {
    'Proxy-Authorization': `Bearer ${KEY}`,
  });
  // Authenticated, so the refusal is about the destination, not the key.
  assertProxyError(r, 403, 'ERR_DESTINATION_DENIED');
});

test('no binding for the destination: 403 ERR_DESTINATION_DENIED at CONNECT', async () => {
  const r = await connectError(proxy.port, 'unbound.test.local:443', {
    'Proxy-Authorization': basicProxyAuth(KEY),
  });
  assertProxyError(r, 403, 'ERR_DESTINATION_DENIED');
  const e = proxy.denied.find((d) => d.host === 'unbound.test.local');
  assert.ok(e);
  assert.equal(e.code, 'ERR_DESTINATION_DENIED');
  assert.equal(e.method, 'CONNECT');
  assert.equal(e.agentName, 'agent-1');
});

test('CONNECT to a port bound only to an http service is denied', async () => {
  const r = await connectError(proxy.port, 'plain.test.local:8080', {
    'Proxy-Authorization': basicProxyAuth(KEY),
  });
  assertProxyError(r, 403, 'ERR_DESTINATION_DENIED');
});

test('ungranted path and ungranted method: 403 ERR_SCOPE_DENIED, never forwarded, tunnel still usable', async () => {
  const t = await tunnel();
  assertProxyError(await t.send(get('/admin/users')), 403, 'ERR_SCOPE_DENIED');
  assertProxyError(
    await t.send(`DELETE /v1/items/1 HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n\r\n`),
    403,
    'ERR_SCOPE_DENIED',
  );
  // Dot segments are resolved before the check: this is /admin, not /v1/...
  assertProxyError(await t.send(get('/v1/%2e%2e/admin')), 403, 'ERR_SCOPE_DENIED');
  assert.equal(seen('/admin/users'), 0);
  assert.equal(upstream.requests.filter((r) => r.method === 'DELETE').length, 0);
  assert.equal(upstream.requests.filter((r) => r.url.includes('admin')).length, 0);
  const ok = await t.send(get('/v1/after-denial'));
  assert.equal(ok.status, 200);
  assert.equal(seen('/v1/after-denial'), 1);
  t.tls.destroy();
  const e = proxy.denied.find((d) => d.code === 'ERR_SCOPE_DENIED' && d.method === 'DELETE');
  assert.ok(e);
  assert.equal(e.path, '/v1/items/1');
});

test('malformed path: 400 ERR_BAD_REQUEST, not forwarded', async () => {
  const t = await tunnel();
  assertProxyError(await t.send(get('/v1/%zz')), 400, 'ERR_BAD_REQUEST');
  t.tls.destroy();
  assert.equal(upstream.requests.filter((r) => r.url.includes('%zz')).length, 0);
});

test('agent revoked while a keep-alive tunnel is open: the next request in the same tunnel is refused, upstream receives nothing', async () => {
  const t = await tunnel();
  assert.equal((await t.send(get('/v1/before-revoke'))).status, 200);
  const principal = proxy.agents.get(KEY);
  assert.ok(principal);
  proxy.agents.delete(KEY);
  try {
    const r = await t.send(get('/v1/after-revoke'));
    assertProxyError(r, 403, 'ERR_AGENT_REVOKED');
    await t.reader.closed;
    assert.equal(seen('/v1/after-revoke'), 0);
    assert.ok(proxy.denied.some((e) => e.code === 'ERR_AGENT_REVOKED' && e.path === null));
  } finally {
    proxy.agents.set(KEY, principal);
  }
});

test('host-swap-in-tunnel: a Host other than the CONNECT host closes the connection', async () => {
  const t = await tunnel();
  const r = await t.send(get('/v1/swap', `evil.test.local:${upstream.port}`));
  assertProxyError(r, 421, 'ERR_HOST_MISMATCH');
  await t.reader.closed;
  assert.equal(seen('/v1/swap'), 0);
  assert.ok(proxy.denied.some((e) => e.code === 'ERR_HOST_MISMATCH' && e.host === HOST));
});

test('host-swap-in-tunnel: an absolute-form target naming another host is the same mismatch', async () => {
  const t = await tunnel();
  const r = await t.send(
    `GET https://evil.test.local:${upstream.port}/v1/abs HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n\r\n`,
  );
  assertProxyError(r, 421, 'ERR_HOST_MISMATCH');
  await t.reader.closed;
  assert.equal(upstream.requests.filter((x) => x.url.includes('/v1/abs')).length, 0);
});

test('host-swap-in-tunnel: a second, different Host header is a mismatch', async () => {
  const t = await tunnel();
  const r = await t.send(
    get('/v1/dup-host', `${HOST}:${upstream.port}`, 'Host: evil.test.local\r\n'),
  );
  assertProxyError(r, 421, 'ERR_HOST_MISMATCH');
  await t.reader.closed;
  assert.equal(seen('/v1/dup-host'), 0);
});

test('sni-mismatch: a TLS ClientHello naming another host is cut off and published', async () => {
  await assert.rejects(
    openTunnel(proxy.port, HOST, upstream.port, {
      key: KEY,
      ca: pki.airlockCa.certPem,
      servername: 'evil.test.local',
    }),
  );
  await proxy.waitFor(() => proxy.denied.some((e) => e.code === 'ERR_SNI_MISMATCH'), 'SNI denial');
  const e = proxy.denied.find((d) => d.code === 'ERR_SNI_MISMATCH');
  assert.equal(e?.status, null);
  assert.equal(e?.host, HOST);
});

test('sni-missing: no SNI for a named host is a mismatch too', async () => {
  const before = proxy.denied.filter((e) => e.code === 'ERR_SNI_MISMATCH').length;
  const tls = await openTunnel(proxy.port, HOST, upstream.port, {
    key: KEY,
    ca: pki.airlockCa.certPem,
    servername: null,
  }).catch(() => null);
  if (tls !== null) {
    // TLS 1.3 clients finish before the server's verdict arrives: the server then closes.
    await new Promise((resolve) => tls.once('close', resolve));
  }
  await proxy.waitFor(
    () => proxy.denied.filter((e) => e.code === 'ERR_SNI_MISMATCH').length > before,
    'missing-SNI denial',
  );
});

test('the controlled header and every Authorization the agent sends are replaced', async () => {
  const t = await tunnel('hdr.test.local', hdrUpstream.port);
  const r = await t.send(
    get(
      '/x',
      `hdr.test.local:${hdrUpstream.port}`,
      'X-Api-Key: stolen\r\nx-api-key: stolen2\r\nAuthorization: Basic c3RvbGVu\r\n',
    ),
  );
  assert.equal(r.status, 200);
  t.tls.destroy();
  const rec = hdrUpstream.requests.find((x) => x.url === '/x');
  assert.ok(rec);
  assert.equal(rec.headers['x-api-key'], HEADER_SECRET);
  assert.equal(rec.headers.authorization, undefined);
  assert.ok(!rec.rawHeaders.includes('stolen'));
});

test('hop-by-hop headers and those Connection lists are not forwarded', async () => {
  const t = await tunnel();
  const r = await t.send(
    get(
      '/v1/hop',
      `${HOST}:${upstream.port}`,
      'Connection: keep-alive, X-Drop-Me, Upgrade, HTTP2-Settings\r\nX-Drop-Me: 1\r\nKeep-Alive: timeout=5\r\n' +
        'Proxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\nX-Keep: yes\r\n',
    ),
  );
  assert.equal(r.status, 200);
  t.tls.destroy();
  const rec = upstream.requests.find((x) => x.url === '/v1/hop');
  assert.ok(rec);
  assert.equal(rec.headers['x-drop-me'], undefined);
  assert.equal(rec.headers['proxy-connection'], undefined);
  assert.equal(rec.headers.te, undefined);
  assert.equal(rec.headers['keep-alive'], undefined);
  // Only WebSocket upgrades are relayed; h2c is forwarded as a plain request.
  assert.equal(rec.headers.upgrade, undefined);
  assert.equal(rec.headers['http2-settings'], undefined);
  assert.equal(rec.headers['x-keep'], 'yes');
});

test('crlf-injection: a control character in a header value is refused and not forwarded', async () => {
  const t = await tunnel();
  const r = await t.send(get('/v1/ctl', `${HOST}:${upstream.port}`, 'X-Evil: a\u0001b\r\n'));
  assertProxyError(r, 400, 'ERR_BAD_REQUEST');
  t.tls.destroy();
  assert.equal(seen('/v1/ctl'), 0);
});

test('redirects pass back untouched and are never followed', async () => {
  const t = await tunnel();
  const r = await t.send(get('/v1/redirect'));
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, 'https://elsewhere.test.local/landing');
  t.tls.destroy();
  assert.equal(seen('/landing'), 0);
});

test('events carry names and the path without query values, never a secret or key', async () => {
  const t = await tunnel();
  assert.equal((await t.send(get('/v1/events?token=hush&page=2'))).status, 200);
  t.tls.destroy();
  const e = proxy.forwarded.find((x) => x.path === '/v1/events');
  assert.ok(e);
  assert.deepEqual(e.queryNames, ['token', 'page']);
  assert.equal(e.service, 'api');
  assert.equal(e.secretName, 'api-key');
  assert.equal(e.status, 200);
  assert.equal(e.method, 'GET');
  const all = JSON.stringify([proxy.forwarded, proxy.denied]);
  for (const s of [SECRET, HEADER_SECRET, KEY, 'hush'])
    assert.ok(!all.includes(s), `events hold ${s}`);
});
