import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type AdminFixture, startAdmin } from '../helpers/admin.ts';
import { errorCode, serveTestHome } from '../helpers/airlock.ts';

let fx: AdminFixture;
before(async () => {
  fx = await startAdmin();
});
after(() => fx.close());

/** Each certificate in a PEM bundle. */
function certificates(bundle: string): X509Certificate[] {
  const pems = bundle.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----\n/g) ?? [];
  assert.equal(pems.join(''), bundle, 'the bundle is only whole PEM blocks');
  return pems.map((pem) => new X509Certificate(pem));
}

test('ca export prints a PEM CA certificate; --bundle holds just it before any rotation', async () => {
  const r = await fx.cli(['ca', 'export']);
  assert.equal(r.code, 0, r.stderr);
  const [cert, ...rest] = certificates(r.stdout);
  assert.equal(rest.length, 0);
  assert.ok(cert);
  assert.equal(cert.ca, true);
  assert.match(cert.subject, /CN=Airlock CA inst_/);
  const { body } = await fx.api('GET', '/v1/ca');
  const ca = body.ca as Record<string, unknown>;
  assert.equal(ca.fingerprint, cert.fingerprint256);
  assert.deepEqual(ca.previous, []);
  const bundle = await fx.cli(['ca', 'export', '--bundle']);
  assert.deepEqual(
    certificates(bundle.stdout).map((c) => c.fingerprint256),
    [cert.fingerprint256],
  );
  assert.ok(!JSON.stringify(body).includes('PRIVATE KEY'), 'never the key');
});

test('after ca rotate the bundle holds two certificates and the current one is new', async () => {
  const before = certificates((await fx.cli(['ca', 'export'])).stdout)[0] as X509Certificate;
  const rotated = await fx.cli(['ca', 'rotate', '--overlap-days', '3', '--json']);
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.ok(!rotated.stdout.includes('PRIVATE KEY'));
  const view = JSON.parse(rotated.stdout) as {
    fingerprint: string;
    previous: { fingerprint: string; overlapUntil: string }[];
  };
  assert.notEqual(view.fingerprint, before.fingerprint256);
  assert.equal(view.previous.length, 1);
  assert.equal(view.previous[0]?.fingerprint, before.fingerprint256);
  const overlap = Date.parse(view.previous[0]?.overlapUntil ?? '') - Date.now();
  assert.ok(overlap > 2.9 * 86_400_000 && overlap <= 3 * 86_400_000, `3 days, got ${overlap}ms`);

  const current = certificates((await fx.cli(['ca', 'export'])).stdout)[0] as X509Certificate;
  assert.equal(current.ca, true);
  assert.notEqual(current.fingerprint256, before.fingerprint256);
  assert.notEqual(current.subject, before.subject, 'each CA has its own subject');
  assert.ok(current.subject.includes(before.subject.split('CN=')[1] ?? '?'), 'names the install');

  const bundle = certificates((await fx.cli(['ca', 'export', '--bundle'])).stdout);
  assert.deepEqual(
    bundle.map((c) => c.fingerprint256),
    [current.fingerprint256, before.fingerprint256],
  );
  for (const c of bundle) assert.equal(c.ca, true);
});

test('bad overlap values are refused', async () => {
  for (const overlapDays of [-1, 366, 1.5, '7']) {
    const res = await fx.api('POST', '/v1/ca/rotate', { overlapDays });
    assert.equal(res.status, 400, String(overlapDays));
    assert.equal(errorCode(res.body), 'ERR_INVALID_ARGUMENT');
  }
  const cli = await fx.cli(['ca', 'rotate', '--overlap-days', 'soon']);
  assert.equal(cli.code, 1);
  assert.match(cli.stderr, /\[ERR_INVALID_ARGUMENT\]/);
});

test('the rotated CA set is stored: a restarted server serves it', async () => {
  const own = await startAdmin();
  let server = own.server;
  try {
    const rotated = await own.api('POST', '/v1/ca/rotate', { overlapDays: 1 });
    assert.equal(rotated.status, 200);
    const ca = rotated.body.ca as { fingerprint: string; bundlePem: string };
    await server.close();
    server = await serveTestHome(own.home.paths);
    const res = await fetch(`http://127.0.0.1:${server.api.port}/v1/ca`, {
      headers: { authorization: `Bearer ${own.home.ownerKey}` },
    });
    const after = ((await res.json()) as { ca: typeof ca }).ca;
    assert.equal(after.fingerprint, ca.fingerprint);
    assert.equal(after.bundlePem, ca.bundlePem);
    assert.equal(certificates(after.bundlePem).length, 2);
  } finally {
    await server.close();
    await own.home.cleanup();
  }
});
