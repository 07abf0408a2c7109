// Reflection: the agent calls an upstream that echoes its request (and so
// the injected credential) back, raw or encoded. The proxy scrubs every
// form of the real value out of the response: the agent never sees it.
import { request as httpRequest } from 'node:http';
import { after, before, type TestContext, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import {
  type AttackProduct,
  check,
  holdsSecret,
  SECRET,
  startAttackProduct,
  VICTIM,
} from './harness.ts';

let p: AttackProduct;

before(async () => {
  p = await startAttackProduct();
});
after(() => p.close());

interface Fetched {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** An HTTPS request through a fresh tunnel, bytes as received (no decoding). */
async function fetchThrough(path: string, headers: Record<string, string> = {}): Promise<Fetched> {
  const tls = await p.tunnel(VICTIM, p.victim.port);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        setHost: false,
        path,
        method: 'POST',
        headers: {
          host: `${VICTIM}:${p.victim.port}`,
          'content-type': 'application/json',
          ...headers,
        },
        createConnection: () => tls,
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => {
          tls.destroy();
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(parts),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ note: 'echo me' }));
  });
}

/** Every way the agent could read the response: raw, and each decoding an echo might use. */
function views(r: Fetched): string[] {
  const raw = r.body.toString('latin1');
  const out = [JSON.stringify(r.headers), raw];
  try {
    out.push(gunzipSync(r.body).toString('utf8'));
  } catch {}
  out.push(Buffer.from(raw, 'base64').toString('latin1'));
  try {
    out.push(decodeURIComponent(raw));
  } catch {}
  try {
    out.push(JSON.stringify(JSON.parse(raw)));
    out.push(String((JSON.parse(raw) as { s?: unknown }).s ?? ''));
  } catch {}
  return out;
}

async function reflected(
  t: TestContext,
  path: string,
  headers: Record<string, string> = {},
): Promise<void> {
  t.plan(4);
  const mark = await p.mark();
  const r = await fetchThrough(path, headers);
  t.assert.equal(r.status, 200);
  check(t, !views(r).some(holdsSecret), 'no form of the secret reached the agent');
  const e = await p.audited(mark, (e) => e.kind === 'proxy.request', 'the injection');
  t.assert.deepEqual(e.secret, { name: 'github', version: 1 });
  p.assertNoLeak(t.assert);
}

test('reflection-raw-echo', (t) => reflected(t, '/repos/echo'));
test('reflection-base64-echo', (t) => reflected(t, '/repos/echo-base64'));
test('reflection-url-encoded-echo', (t) => reflected(t, '/repos/echo-url'));
test('reflection-json-escaped-echo', (t) => reflected(t, '/repos/echo-json'));
test('reflection-gzip-compressed-echo', (t) =>
  reflected(t, '/repos/echo-gzip', { 'accept-encoding': 'gzip' }));
test('reflection-gzip-echo-to-identity-client', (t) =>
  reflected(t, '/repos/echo-gzip', { 'accept-encoding': 'identity' }));
test('reflection-in-response-headers-and-cookie', (t) => reflected(t, '/repos/echo-header'));
test('reflection-of-basic-credential', async (t) => {
  // Reflection of a credential the agent smuggled in a placeholder-free Basic header is
  // irrelevant: the agent's own Authorization is stripped and the real one injected.
  await reflected(t, '/repos/echo', {
    authorization: `Basic ${Buffer.from('x:y').toString('base64')}`,
  });
});

test('reflection-large-echo-streams-scrubbed', (t) => reflected(t, '/repos/echo-large'));

test('a small sized answer is scrubbed whole and keeps an exact Content-Length', async (t: TestContext) => {
  const r = await fetchThrough('/repos/echo');
  t.assert.equal(r.headers['transfer-encoding'], undefined);
  t.assert.equal(r.headers['content-length'], String(r.body.length));
  // The placeholder that replaced the secret is longer or shorter than it: the length is the new one.
  t.assert.ok(JSON.parse(r.body.toString('utf8')).headers.authorization.startsWith('Bearer '));
});

test('a large sized answer is streamed, scrubbed, chunked', async (t: TestContext) => {
  const r = await fetchThrough('/repos/echo-large');
  t.assert.equal(r.headers['content-length'], undefined);
  t.assert.equal(r.headers['transfer-encoding'], 'chunked');
  t.assert.ok(r.body.length > 100_000);
  t.assert.ok(!holdsSecret(r.body.toString('latin1')));
});

test('control: the upstream did receive the real credential', async (t) => {
  t.plan(1);
  await fetchThrough('/repos/echo');
  t.assert.equal(p.victim.requests.at(-1)?.headers.authorization, `Bearer ${SECRET}`);
});
