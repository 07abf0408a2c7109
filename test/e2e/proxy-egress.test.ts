/**
 * The SSRF guard and egress: private, loopback, link-local and metadata
 * destinations are refused in every spelling unless allowed; blind tunnels
 * carry no credential and dial only the checked address.
 */
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { PROXY_CHANNELS, type ProxyTunnelEvent } from '../../src/proxy/index.ts';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import { startProxy, testBinding } from '../helpers/proxy.ts';
import {
  basicProxyAuth,
  connectError,
  connectTunnelSocket,
  openTunnel,
  ResponseReader,
} from '../helpers/tunnel-client.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';

const KEY = 'alk_agent_egress_test_key';
const SECRET = 'sk-egress-secret-5d1f';
const auth = { 'Proxy-Authorization': basicProxyAuth(KEY) };

let pki: TestPki;
let api: TestUpstream;
let blind: TestUpstream;
let ipHost: TestUpstream;

before(async () => {
  pki = await createTestPki();
  api = await startUpstream({ tls: pki.upstreamCert('api.test.local') });
  blind = await startUpstream({ tls: pki.upstreamCert('blind.test.local') });
  ipHost = await startUpstream({ tls: pki.upstreamCert('127.0.0.1') });
});

after(async () => {
  await api.close();
  await blind.close();
  await ipHost.close();
  await pki.cleanup();
});

test('ssrf: loopback, metadata, IPv4-mapped and numeric spellings are refused with ERR_PRIVATE_ADDRESS', async () => {
  const proxy = await startProxy({
    pki,
    agents: {
      [KEY]: [testBinding({ service: 'api', secret: 's', host: 'api.test.local', port: api.port })],
    },
    secrets: { s: SECRET },
    // Tunnel egress lets every target reach the guard; nothing is allowed private.
    options: {
      egress: 'tunnel',
      resolve: [{ host: 'api.test.local', port: api.port, address: '127.0.0.1' }],
    },
  });
  try {
    for (const target of [
      `127.0.0.1:${api.port}`,
      '169.254.169.254:443',
      '[::ffff:127.0.0.1]:443',
      '[::ffff:7f00:1]:443',
      '2130706433:443',
      '0x7f.1:443',
      '[::1]:443',
      '10.0.0.1:443',
      '[fd00:ec2::254]:80',
      '0.0.0.0:443',
      // A bound service whose name resolves to loopback is refused the same way.
      `api.test.local:${api.port}`,
    ]) {
      const r = await connectError(proxy.port, target, auth);
      assert.equal(r.status, 403, target);
      assert.equal(r.headers['x-airlock-error'], 'ERR_PRIVATE_ADDRESS', target);
      assert.equal(JSON.parse(r.body).error.code, 'ERR_PRIVATE_ADDRESS');
    }
    assert.equal(api.requests.length, 0);
    const e = proxy.denied.find((d) => d.host === '127.0.0.1' && d.port === 443);
    assert.ok(e, 'the numeric spelling is reported as the canonical address');
  } finally {
    await proxy.close();
  }
});

test('ssrf: allowPrivate by host name lets a blind tunnel reach the checked address, with no credential', async () => {
  const proxy = await startProxy({
    pki,
    agents: { [KEY]: [] },
    secrets: {},
    options: {
      egressAllow: [`blind.test.local:${blind.port}`],
      allowPrivate: ['blind.test.local'],
      resolve: [{ host: 'blind.test.local', port: blind.port, address: '127.0.0.1' }],
    },
  });
  const tunnels: ProxyTunnelEvent[] = [];
  const onTunnel = (m: unknown): void => {
    tunnels.push(m as ProxyTunnelEvent);
  };
  subscribe(PROXY_CHANNELS.tunnel, onTunnel);
  try {
    const socket = await connectTunnelSocket(proxy.port, `blind.test.local:${blind.port}`, auth);
    // Not intercepted: the client verifies the upstream's own certificate.
    const tls = tlsConnect({ socket, servername: 'blind.test.local', ca: pki.upstreamCaPem });
    await new Promise<void>((resolve, reject) => {
      tls.once('secureConnect', resolve);
      tls.once('error', reject);
    });
    const reader = new ResponseReader(tls);
    tls.write(
      `GET /blind HTTP/1.1\r\nHost: blind.test.local\r\nAuthorization: Bearer agent-own\r\nConnection: close\r\n\r\n`,
    );
    assert.equal((await reader.response()).status, 200);
    const rec = blind.requests.find((r) => r.url === '/blind');
    assert.equal(rec?.headers.authorization, 'Bearer agent-own');
    await proxy.waitFor(() => tunnels.length > 0, 'tunnel event');
    assert.equal(tunnels[0]?.host, 'blind.test.local');
    assert.equal(tunnels[0]?.address, '127.0.0.1');
    assert.ok((tunnels[0]?.bytesOut ?? 0) > 0);

    // Anything else is still denied: egressAllow names one host and port.
    const other = await connectError(proxy.port, `blind.test.local:${blind.port + 1}`, auth);
    assert.equal(other.headers['x-airlock-error'], 'ERR_DESTINATION_DENIED');
  } finally {
    unsubscribe(PROXY_CHANNELS.tunnel, onTunnel);
    await proxy.close();
  }
});

test('blind tunnel to an address where nothing listens: 502 ERR_UPSTREAM_UNREACHABLE', async () => {
  const closed = await startUpstream();
  const deadPort = closed.port;
  await closed.close();
  const proxy = await startProxy({
    pki,
    agents: { [KEY]: [] },
    secrets: {},
    options: { egress: 'tunnel', allowPrivate: ['127.0.0.1/32'] },
  });
  try {
    const r = await connectError(proxy.port, `127.0.0.1:${deadPort}`, auth);
    assert.equal(r.status, 502);
    assert.equal(r.headers['x-airlock-error'], 'ERR_UPSTREAM_UNREACHABLE');
  } finally {
    await proxy.close();
  }
});

test('an IP-literal CONNECT host is intercepted without SNI (RFC 6066 forbids IP literals in SNI)', async () => {
  const proxy = await startProxy({
    pki,
    agents: {
      [KEY]: [testBinding({ service: 'ip', secret: 's', host: '127.0.0.1', port: ipHost.port })],
    },
    secrets: { s: SECRET },
    options: { allowPrivate: ['127.0.0.1/32'] },
  });
  try {
    const tls = await openTunnel(proxy.port, '127.0.0.1', ipHost.port, {
      key: KEY,
      ca: pki.airlockCa.certPem,
      servername: null,
    });
    const reader = new ResponseReader(tls);
    tls.write(`GET /ip HTTP/1.1\r\nHost: 127.0.0.1:${ipHost.port}\r\n\r\n`);
    assert.equal((await reader.response()).status, 200);
    tls.destroy();
    assert.equal(
      ipHost.requests.find((r) => r.url === '/ip')?.headers.authorization,
      `Bearer ${SECRET}`,
    );
  } finally {
    await proxy.close();
  }
});
