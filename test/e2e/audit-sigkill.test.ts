// Invariant 5 under a crash: a proxy under load is killed with SIGKILL.
// Every request the upstream received has its audit record (written, and
// durable, before the request was forwarded), and the chain still verifies.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { api, initTestHome, serveTestHome, spawnServe } from '../helpers/airlock.ts';
import { startUpstream } from '../helpers/upstream.ts';

const HOST = 'upstream.test';
const CLIENTS = 24;
const KILL_AFTER = 300;

/** One absolute-form request through the proxy; resolves whatever happens. */
function send(proxyPort: number, upstreamPort: number, key: string, n: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: proxyPort,
        method: 'GET',
        path: `http://${HOST}:${upstreamPort}/v1/items/${n}`,
        headers: { 'proxy-authorization': `Bearer ${key}`, host: `${HOST}:${upstreamPort}` },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve());
        res.once('error', () => resolve());
      },
    );
    req.once('error', () => resolve());
    req.end();
  });
}

test('invariant 5 under SIGKILL: every request the upstream received is on record, and the chain verifies', async (t) => {
  const home = await initTestHome();
  t.after(() => home.cleanup());
  const upstream = await startUpstream();
  t.after(() => upstream.close());

  // Configure with an in-process server, then hand the home to a child process.
  const setup = await serveTestHome(home.paths);
  const call = (method: string, path: string, body?: unknown) =>
    api(setup, home.ownerKey, method, path, body);
  assert.equal(
    (await call('POST', '/v1/secrets', { name: 'tok', value: 'v-sigkill-secret-9d2c' })).status,
    201,
  );
  const svc = await call('POST', '/v1/services', {
    name: 'items',
    scheme: 'http',
    hosts: [`${HOST}:${upstream.port}`],
    auth: { kind: 'bearer' },
    secret: 'tok',
  });
  assert.equal(svc.status, 201, JSON.stringify(svc.body));
  const agent = await call('POST', '/v1/agents', { name: 'loader' });
  const key = String(agent.body.key);
  assert.equal(
    (await call('POST', '/v1/grants', { agent: 'loader', service: 'items' })).status,
    201,
  );
  await setup.close();

  const served = spawnServe(home.paths.home, [
    '--allow-private',
    '127.0.0.1/32',
    '--resolve',
    `${HOST}:${upstream.port}:127.0.0.1`,
  ]);
  const proxyPort = (await served.listening).proxy;
  let n = 0;
  let killed = false;
  const client = async () => {
    while (!killed) await send(proxyPort, upstream.port, key, n++);
  };
  const clients = Promise.all(Array.from({ length: CLIENTS }, client));
  const deadline = Date.now() + 60_000;
  while (upstream.requests.length < KILL_AFTER) {
    assert.ok(Date.now() < deadline, 'the load never reached the upstream');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  served.child.kill('SIGKILL');
  killed = true;
  await served.exited;
  await clients;

  const received = new Set(upstream.requests.map((r) => r.url));
  assert.ok(received.size >= KILL_AFTER);
  const db = new DatabaseSync(home.paths.store, { readOnly: true });
  let recorded: Set<unknown>;
  try {
    recorded = new Set(
      db
        .prepare(
          `SELECT json_extract(event, '$.destination.path') AS path FROM audit_events WHERE kind = 'proxy.request'`,
        )
        .all()
        .map((row) => row.path),
    );
  } finally {
    db.close();
  }
  const missing = [...received].filter((path) => !recorded.has(path));
  assert.deepEqual(missing, [], 'every request the upstream received has its record');

  // Reopened, the chain verifies and nothing looks tampered with.
  const after = await serveTestHome(home.paths);
  try {
    const verified = await api(after, home.ownerKey, 'GET', '/v1/audit/verify');
    assert.equal(verified.body.ok, true, JSON.stringify(verified.body.problem));
    const anomalies = await api(after, home.ownerKey, 'GET', '/v1/audit?kind=audit.anomaly');
    assert.deepEqual(anomalies.body.events, []);
  } finally {
    await after.close();
  }
});
