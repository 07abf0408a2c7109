// HTTP parsing: malformed, ambiguous and smuggled requests, inside an
// intercepted tunnel and on the proxy port itself. Whatever the parser
// cannot read one way only is refused before anything reaches upstream.
import { after, before, type TestContext, test } from 'node:test';
import { connectError } from '../helpers/tunnel-client.ts';
import {
  ATTACKER,
  type AttackProduct,
  assertRefused,
  check,
  codeOf,
  proxyAuth,
  startAttackProduct,
  VICTIM,
} from './harness.ts';

let p: AttackProduct;
let vhost: string;

before(async () => {
  p = await startAttackProduct();
  vhost = `${VICTIM}:${p.victim.port}`;
});
after(() => p.close());

/** Sends `raw` (built with the victim's Host) in a tunnel; asserts the refusal and that nothing was forwarded. */
async function inTunnel(
  t: TestContext,
  raw: (host: string) => string,
  code: string,
): Promise<void> {
  t.plan(4);
  const mark = await p.mark();
  const before = p.victim.requests.length;
  const res = await p.send(VICTIM, p.victim.port, raw(vhost));
  await assertRefused(t, p, mark, res, code);
  t.assert.equal(p.victim.requests.length, before, 'nothing reached upstream');
}

const smuggled = (host: string): string =>
  `GET /admin HTTP/1.1\r\nHost: ${ATTACKER}\r\n\r\n`.replace(
    ATTACKER,
    `${ATTACKER}:${host.split(':')[1]}`,
  );

test('smuggling-content-length-with-transfer-encoding', (t) =>
  inTunnel(
    t,
    (h) =>
      `POST /repos/a HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled(h)}`,
    'ERR_BAD_REQUEST',
  ));

test('smuggling-duplicate-content-length', (t) =>
  inTunnel(
    t,
    (h) =>
      `POST /repos/a HTTP/1.1\r\nHost: ${h}\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n${smuggled(h)}`,
    'ERR_BAD_REQUEST',
  ));

test('smuggling-obfuscated-transfer-encoding-space-before-colon', (t) =>
  inTunnel(
    t,
    (h) =>
      `POST /repos/a HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding : chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
    'ERR_BAD_REQUEST',
  ));

test('smuggling-obfuscated-transfer-encoding-unknown-coding', (t) =>
  inTunnel(
    t,
    (h) =>
      `POST /repos/a HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: xchunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
    'ERR_BAD_REQUEST',
  ));

test('smuggling-chunked-not-last', (t) =>
  inTunnel(
    t,
    (h) =>
      `POST /repos/a HTTP/1.1\r\nHost: ${h}\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${smuggled(h)}`,
    'ERR_BAD_REQUEST',
  ));

test('smuggling-chunk-size-overflow', async (t) => {
  // The body fails to parse after the head was read: the request is refused
  // (audited 400) and the connection dropped before a byte goes upstream.
  t.plan(4);
  const mark = await p.mark();
  const before = p.victim.requests.length;
  const res = await p.send(
    VICTIM,
    p.victim.port,
    `POST /repos/a HTTP/1.1\r\nHost: ${vhost}\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffff1\r\nx\r\n0\r\n\r\n`,
  );
  check(t, res === null || codeOf(res) === 'ERR_BAD_REQUEST', 'refused or closed');
  const e = await p.audited(mark, (e) => e.code === 'ERR_BAD_REQUEST', 'bad request');
  t.assert.equal(e.status, 400);
  t.assert.equal(p.victim.requests.length, before);
  p.assertNoLeak(t.assert);
});

test('crlf-bare-cr-in-header-value', (t) =>
  inTunnel(
    t,
    (h) => `GET /repos/a HTTP/1.1\r\nHost: ${h}\r\nX-A: a\rInjected: 1\r\n\r\n`,
    'ERR_BAD_REQUEST',
  ));

test('crlf-bare-lf-in-header-value', (t) =>
  inTunnel(
    t,
    (h) => `GET /repos/a HTTP/1.1\r\nHost: ${h}\r\nX-A: a\nHost: ${ATTACKER}\r\n\r\n`,
    'ERR_BAD_REQUEST',
  ));

test('crlf-in-header-name', (t) =>
  inTunnel(t, (h) => `GET /repos/a HTTP/1.1\r\nHost: ${h}\r\nX\rA: a\r\n\r\n`, 'ERR_BAD_REQUEST'));

test('nul-in-header-value', (t) =>
  inTunnel(
    t,
    (h) => `GET /repos/a HTTP/1.1\r\nHost: ${h}\r\nX-A: a\u0000b\r\n\r\n`,
    'ERR_BAD_REQUEST',
  ));

test('obs-fold-header-continuation', (t) =>
  inTunnel(
    t,
    (h) => `GET /repos/a HTTP/1.1\r\nHost: ${h}\r\nX-A: a\r\n Host: ${ATTACKER}\r\n\r\n`,
    'ERR_BAD_REQUEST',
  ));

test('oversized-header', (t) =>
  inTunnel(
    t,
    (h) => `GET /repos/a HTTP/1.1\r\nHost: ${h}\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`,
    'ERR_HEADERS_TOO_LARGE',
  ));

test('too-many-headers', (t) =>
  inTunnel(
    t,
    (h) =>
      `GET /repos/a HTTP/1.1\r\nHost: ${h}\r\n${Array.from({ length: 4000 }, (_, i) => `X-${i}: v\r\n`).join('')}\r\n`,
    'ERR_HEADERS_TOO_LARGE',
  ));

// Node reads a request line without a version as HTTP/1.x with no Host: refused as unpinned.
test('http-0.9-request', (t) => inTunnel(t, () => 'GET /repos/a\r\n\r\n', 'ERR_HOST_MISMATCH'));

test('malformed-request-line-unknown-version', (t) =>
  inTunnel(t, (h) => `GET /repos/a HTTP/7.1\r\nHost: ${h}\r\n\r\n`, 'ERR_BAD_REQUEST'));

test('malformed-request-line-extra-spaces', (t) =>
  inTunnel(t, (h) => `GET /repos/a /admin HTTP/1.1\r\nHost: ${h}\r\n\r\n`, 'ERR_BAD_REQUEST'));

test('pipelined-second-request-to-another-host', async (t) => {
  t.plan(5);
  const mark = await p.mark();
  const before = p.victim.requests.length;
  const tls = await p.tunnel(VICTIM, p.victim.port);
  const { ResponseReader } = await import('../helpers/tunnel-client.ts');
  const reader = new ResponseReader(tls);
  tls.write(
    `GET /repos/first HTTP/1.1\r\nHost: ${vhost}\r\n\r\n` +
      `GET /repos/second HTTP/1.1\r\nHost: ${ATTACKER}:${p.attacker.port}\r\n\r\n`,
  );
  const first = await reader.response();
  t.assert.equal(first.status, 200);
  const second = await reader.response().catch(() => null);
  tls.destroy();
  await assertRefused(t, p, mark, second, 'ERR_HOST_MISMATCH');
  t.assert.deepEqual(
    p.victim.requests.slice(before).map((r) => r.url),
    ['/repos/first'],
  );
});

/** A raw CONNECT head on the proxy port; asserts the refusal. */
async function badConnect(t: TestContext, head: string, code: string): Promise<void> {
  t.plan(3);
  const mark = await p.mark();
  const res = await p.sendPlain(head);
  await assertRefused(t, p, mark, res, code);
}

test('connect-line-without-port', (t) =>
  badConnect(
    t,
    `CONNECT ${VICTIM} HTTP/1.1\r\nHost: ${VICTIM}\r\nProxy-Authorization: ${proxyAuth(p.agentKey)}\r\n\r\n`,
    'ERR_BAD_REQUEST',
  ));

test('connect-line-with-userinfo', (t) =>
  badConnect(
    t,
    `CONNECT user@${vhost} HTTP/1.1\r\nHost: ${vhost}\r\nProxy-Authorization: ${proxyAuth(p.agentKey)}\r\n\r\n`,
    'ERR_BAD_REQUEST',
  ));

test('connect-line-with-absolute-url', (t) =>
  badConnect(
    t,
    `CONNECT https://${vhost}/ HTTP/1.1\r\nHost: ${vhost}\r\nProxy-Authorization: ${proxyAuth(p.agentKey)}\r\n\r\n`,
    'ERR_BAD_REQUEST',
  ));

test('connect-line-port-out-of-range', (t) =>
  badConnect(
    t,
    `CONNECT ${VICTIM}:70000 HTTP/1.1\r\nHost: ${VICTIM}\r\nProxy-Authorization: ${proxyAuth(p.agentKey)}\r\n\r\n`,
    'ERR_BAD_REQUEST',
  ));

test('connect-duplicate-proxy-authorization', (t) =>
  badConnect(
    t,
    `CONNECT ${vhost} HTTP/1.1\r\nHost: ${vhost}\r\nProxy-Authorization: ${proxyAuth('alk_agent_nope')}\r\nProxy-Authorization: ${proxyAuth(p.agentKey)}\r\n\r\n`,
    'ERR_PROXY_AUTH_REQUIRED',
  ));

test('connect-without-credentials', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const res = await connectError(p.server.proxy.port, vhost, {});
  t.assert.equal(codeOf(res), 'ERR_PROXY_AUTH_REQUIRED');
  const e = await p.audited(mark, (e) => e.code === 'ERR_PROXY_AUTH_REQUIRED', 'auth required');
  t.assert.equal(e.kind, 'proxy.denied');
  p.assertNoLeak(t.assert);
});
