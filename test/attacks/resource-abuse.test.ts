// Resource abuse: the agent tries to exhaust the proxy or the admin API
// (slow headers, a flood of tunnels, a huge body, a never-ending
// response). Each is cut off by a limit, recorded, and another agent's
// requests keep working throughout.
import { connect as netConnect, type Socket } from 'node:net';
import { after, before, type TestContext, test } from 'node:test';
import { ResponseReader } from '../helpers/tunnel-client.ts';
import {
  type AttackProduct,
  assertRefused,
  check,
  codeOf,
  connectOnce,
  startAttackProduct,
  VICTIM,
} from './harness.ts';

let p: AttackProduct;
let vhost: string;
const MAX_BODY = 64 * 1024;
const MAX_RESPONSE = 1024 * 1024;

before(async () => {
  p = await startAttackProduct({
    limits: {
      headersTimeoutMs: 300,
      maxRequestBodyBytes: MAX_BODY,
      maxResponseBodyBytes: MAX_RESPONSE,
    },
  });
  vhost = `${VICTIM}:${p.victim.port}`;
});
after(() => p.close());

/** The bystander agent's GET still succeeds. */
async function othersStillServed(t: TestContext): Promise<void> {
  const res = await p.send(
    VICTIM,
    p.victim.port,
    `GET /repos/ok HTTP/1.1\r\nHost: ${vhost}\r\nConnection: close\r\n\r\n`,
    p.otherKey,
  );
  t.assert.equal(res?.status, 200, 'another agent is still served');
}

function openSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

test('slowloris-on-the-proxy', async (t) => {
  t.plan(4);
  const mark = await p.mark();
  const slow = await openSocket(p.server.proxy.port);
  const reader = new ResponseReader(slow);
  slow.write(`CONNECT ${vhost} HTTP/1.1\r\nHost: ${vhost}\r\nX-Slow: a`);
  await othersStillServed(t);
  const res = await reader.response().catch(() => null);
  slow.destroy();
  await assertRefused(t, p, mark, res, 'ERR_REQUEST_TIMEOUT');
});

test('slowloris-inside-a-tunnel', async (t) => {
  t.plan(4);
  const mark = await p.mark();
  const tls = await p.tunnel(VICTIM, p.victim.port);
  const reader = new ResponseReader(tls);
  tls.write(`GET /repos/ok HTTP/1.1\r\nHost: ${vhost}\r\nX-Slow: a`);
  await othersStillServed(t);
  const res = await reader.response().catch(() => null);
  tls.destroy();
  await assertRefused(t, p, mark, res, 'ERR_REQUEST_TIMEOUT');
});

test('slowloris-on-the-admin-api', async (t) => {
  t.plan(3);
  const slow = await Promise.all(Array.from({ length: 50 }, () => openSocket(p.server.api.port)));
  for (const s of slow) {
    s.on('error', () => {});
    s.write('GET /v1/audit HTTP/1.1\r\nHost: x\r\nX-Slow: a');
  }
  const r = await p.api('GET', '/v1/audit?limit=1');
  t.assert.equal(r.status, 200, 'the API still answers with 50 slow clients attached');
  await othersStillServed(t);
  for (const s of slow) s.destroy();
  p.assertNoLeak(t.assert);
});

test('connect-flood', async (t) => {
  t.plan(4);
  const mark = await p.mark();
  const answers = await Promise.all(
    Array.from({ length: 200 }, () => connectOnce(p.server.proxy.port, vhost, 'alk_agent_flood')),
  );
  check(
    t,
    answers.every((a) => codeOf(a) === 'ERR_PROXY_AUTH_REQUIRED'),
    'every CONNECT answered',
  );
  await othersStillServed(t);
  const events = await p.eventsAfter(mark);
  check(t, events.filter((e) => e.code === 'ERR_PROXY_AUTH_REQUIRED').length >= 1, 'recorded');
  p.assertNoLeak(t.assert);
});

test('huge-request-body-with-content-length', async (t) => {
  t.plan(4);
  const mark = await p.mark();
  const size = MAX_BODY * 4;
  const res = await p.send(
    VICTIM,
    p.victim.port,
    `POST /repos/upload HTTP/1.1\r\nHost: ${vhost}\r\nContent-Type: application/octet-stream\r\nContent-Length: ${size}\r\nConnection: close\r\n\r\n${'a'.repeat(size)}`,
  );
  await assertRefused(t, p, mark, res, 'ERR_PAYLOAD_TOO_LARGE');
  await othersStillServed(t);
});

test('huge-request-body-chunked', async (t) => {
  t.plan(4);
  const mark = await p.mark();
  const chunk = 'a'.repeat(16 * 1024);
  const body = Array.from(
    { length: 12 },
    () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
  ).join('');
  const res = await p.send(
    VICTIM,
    p.victim.port,
    `POST /repos/upload HTTP/1.1\r\nHost: ${vhost}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}0\r\n\r\n`,
  );
  t.assert.equal(res === null || codeOf(res) === 'ERR_PAYLOAD_TOO_LARGE', true);
  const e = await p.audited(mark, (e) => e.code === 'ERR_PAYLOAD_TOO_LARGE', 'too large');
  t.assert.equal(e.code, 'ERR_PAYLOAD_TOO_LARGE');
  p.assertNoLeak(t.assert);
  await othersStillServed(t);
});

test('never-ending-response', async (t) => {
  t.plan(5);
  const mark = await p.mark();
  const heap = process.memoryUsage().heapUsed;
  const tls = await p.tunnel(VICTIM, p.victim.port);
  let received = 0;
  tls.on('data', (d: Buffer) => {
    received += d.length;
  });
  tls.write(`GET /repos/never-ends HTTP/1.1\r\nHost: ${vhost}\r\n\r\n`);
  await new Promise<void>((resolve) => {
    tls.once('close', () => resolve());
    tls.once('end', () => resolve());
  });
  tls.destroy();
  check(t, received <= MAX_RESPONSE + 64 * 1024, `the stream was cut near the limit (${received})`);
  const e = await p.audited(mark, (e) => e.code === 'ERR_UPSTREAM_RESPONSE_TOO_LARGE', 'cut off');
  t.assert.equal(e.code, 'ERR_UPSTREAM_RESPONSE_TOO_LARGE');
  check(t, process.memoryUsage().heapUsed - heap < 64 * 1024 * 1024, 'memory stays bounded');
  await othersStillServed(t);
  p.assertNoLeak(t.assert);
});
