// Tokens: the agent forges, tampers with, replays or stretches its task
// token to get a credential its delegation does not carry.
import { createHmac } from 'node:crypto';
import { after, before, type TestContext, test } from 'node:test';
import { AirlockError } from '../../src/core/index.ts';
import { tokenFixture } from '../helpers/tokens.ts';
import { basicProxyAuth, connectError, ResponseReader } from '../helpers/tunnel-client.ts';
import {
  type AttackProduct,
  assertRefused,
  check,
  connectOnce,
  proxyAuth,
  startAttackProduct,
  VICTIM,
} from './harness.ts';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
type Json = Record<string, unknown>;

let p: AttackProduct;
let q: AttackProduct;
let vhost: string;
let token: string;

before(async () => {
  p = await startAttackProduct();
  vhost = `${VICTIM}:${p.victim.port}`;
  token = (await p.task('github:GET:/repos/acme/**')).token;
});
after(async () => {
  await p.close();
  await q?.close();
});

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const parts = (jws: string): [Json, Json, string] => {
  const [h, c, s] = jws.split('.');
  return [
    JSON.parse(Buffer.from(h ?? '', 'base64url').toString()) as Json,
    JSON.parse(Buffer.from(c ?? '', 'base64url').toString()) as Json,
    s ?? '',
  ];
};

/** CONNECT to the victim presenting `presented`; asserts the refusal and the record. */
async function refusedAtConnect(t: TestContext, presented: string, code: string): Promise<void> {
  t.plan(3);
  const mark = await p.mark();
  const res = await connectError(p.server.proxy.port, vhost, {
    'Proxy-Authorization': basicProxyAuth(presented),
  });
  await assertRefused(t, p, mark, res, code);
}

/** RFC 8693 exchange at airlock.internal, authenticated by `auth`, over plain HTTP through the proxy. */
async function exchange(
  auth: string,
  fields: Record<string, string>,
): Promise<{ status: number; body: Json }> {
  const form = new URLSearchParams(fields).toString();
  const res = await p.sendPlain(
    `POST http://airlock.internal/oauth/token HTTP/1.1\r\nHost: airlock.internal\r\nProxy-Authorization: ${proxyAuth(auth)}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n${form}`,
  );
  return { status: res?.status ?? 0, body: JSON.parse(res?.body ?? '{}') as Json };
}

test('forged-token-random-signature', (t) => {
  const [h, c] = parts(token);
  return refusedAtConnect(
    t,
    `${b64(h)}.${b64(c)}.${Buffer.alloc(64, 7).toString('base64url')}`,
    'ERR_PROXY_AUTH_REQUIRED',
  );
});

test('tampered-token-widened-scope', (t) => {
  const [h, c, s] = parts(token);
  return refusedAtConnect(
    t,
    `${b64(h)}.${b64({ ...c, scope: 'github' })}.${s}`,
    'ERR_PROXY_AUTH_REQUIRED',
  );
});

test('tampered-token-extended-expiry', (t) => {
  const [h, c, s] = parts(token);
  return refusedAtConnect(
    t,
    `${b64(h)}.${b64({ ...c, exp: Number(c.exp) + 86_400 })}.${s}`,
    'ERR_PROXY_AUTH_REQUIRED',
  );
});

test('alg-none-token', (t) => {
  const [h, c] = parts(token);
  return refusedAtConnect(t, `${b64({ ...h, alg: 'none' })}.${b64(c)}.`, 'ERR_PROXY_AUTH_REQUIRED');
});

test('key-confusion-hs256-with-public-key', async (t) => {
  const jwks = await p.sendPlain(
    `GET http://airlock.internal/.well-known/jwks.json HTTP/1.1\r\nHost: airlock.internal\r\nProxy-Authorization: ${proxyAuth(token)}\r\nConnection: close\r\n\r\n`,
  );
  const key = (JSON.parse(jwks?.body ?? '{}') as { keys: Json[] }).keys[0] ?? {};
  const [h, c] = parts(token);
  const input = `${b64({ ...h, alg: 'HS256' })}.${b64({ ...c, scope: 'github' })}`;
  const sig = createHmac('sha256', Buffer.from(String(key.x), 'base64url'))
    .update(input)
    .digest('base64url');
  return refusedAtConnect(t, `${input}.${sig}`, 'ERR_PROXY_AUTH_REQUIRED');
});

test('token-from-another-airlock-installation', async (t) => {
  q = await startAttackProduct();
  const foreign = (await q.task('github:GET:/repos/**')).token;
  return refusedAtConnect(t, foreign, 'ERR_PROXY_AUTH_REQUIRED');
});

test('agent-key-guessing', (t) =>
  refusedAtConnect(t, 'alk_agent_00000000000000000000000000000000', 'ERR_PROXY_AUTH_REQUIRED'));

test('expired-token', async (t) => {
  t.plan(3);
  const short = (await p.task('github:GET:/repos/acme/**', '1s')).token;
  const exp = Number(parts(short)[1].exp) * 1000;
  const mark = await p.mark();
  // Poll with a deadline until the token's own expiry has passed, then present it.
  const deadline = Date.now() + 5000;
  let res: Awaited<ReturnType<typeof connectOnce>> | null = null;
  while (Date.now() < deadline) {
    res = await connectOnce(p.server.proxy.port, vhost, short);
    if (res.status !== 200 || Date.now() > exp + 1000) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await assertRefused(t, p, mark, res, 'ERR_TOKEN_EXPIRED');
});

test('token-revoked-mid-tunnel', async (t) => {
  t.plan(5);
  const live = await p.task('github:GET:/repos/acme/**');
  const tls = await p.tunnel(VICTIM, p.victim.port, live.token);
  const reader = new ResponseReader(tls);
  tls.write(`GET /repos/acme/a HTTP/1.1\r\nHost: ${vhost}\r\n\r\n`);
  t.assert.equal((await reader.response()).status, 200);
  const r = await p.api('POST', '/v1/revocations', { token: live.jti });
  t.assert.equal(r.status, 200);
  const mark = await p.mark();
  tls.write(`GET /repos/acme/b HTTP/1.1\r\nHost: ${vhost}\r\n\r\n`);
  const res = await reader.response().catch(() => null);
  tls.destroy();
  await assertRefused(t, p, mark, res, 'ERR_TOKEN_REVOKED');
});

test('agent-revoked-mid-tunnel', async (t) => {
  t.plan(4);
  const created = await p.api('POST', '/v1/agents', { name: 'doomed' });
  const key = String(created.body.key);
  await p.api('POST', '/v1/grants', { agent: 'doomed', service: 'github', methods: ['GET'] });
  const tls = await p.tunnel(VICTIM, p.victim.port, key);
  const reader = new ResponseReader(tls);
  tls.write(`GET /repos/acme/a HTTP/1.1\r\nHost: ${vhost}\r\n\r\n`);
  t.assert.equal((await reader.response()).status, 200);
  await p.api('POST', '/v1/agents/doomed/revoke');
  const mark = await p.mark();
  tls.write(`GET /repos/acme/b HTTP/1.1\r\nHost: ${vhost}\r\n\r\n`);
  const res = await reader.response().catch(() => null);
  tls.destroy();
  await assertRefused(t, p, mark, res, 'ERR_AGENT_REVOKED');
});

test('exchange-for-wider-scope', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const r = await exchange(token, {
    grant_type: EXCHANGE,
    subject_token: token,
    subject_token_type: JWT,
    scope: 'github:GET,POST:/repos/**',
  });
  t.assert.equal(r.body.code, 'ERR_SCOPE_EXCEEDS_PARENT');
  const events = await p.eventsAfter(mark);
  t.assert.equal(
    events.some((e) => e.kind === 'token.exchanged'),
    false,
    'nothing was issued',
  );
  p.assertNoLeak(t.assert);
});

test('exchange-for-longer-expiry-is-capped-at-the-parent', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const r = await exchange(token, {
    grant_type: EXCHANGE,
    subject_token: token,
    subject_token_type: JWT,
    scope: 'github:GET:/repos/acme/**',
    expires_in: '999999',
  });
  t.assert.equal(r.status, 200);
  const child = String(r.body.access_token);
  check(
    t,
    Number(parts(child)[1].exp) <= Number(parts(token)[1].exp),
    'never later than its parent',
  );
  await p.audited(mark, (e) => e.kind === 'token.exchanged', 'the exchange');
  p.assertNoLeak(t.assert);
});

test('exchange-of-another-agents-token', async (t) => {
  t.plan(3);
  const started = await p.api('POST', '/v1/tasks', {
    agent: 'bystander',
    scope: 'github:GET:/repos/**',
  });
  const other = { token: String(started.body.token) };
  const mark = await p.mark();
  const r = await exchange(token, {
    grant_type: EXCHANGE,
    subject_token: other.token,
    subject_token_type: JWT,
    scope: 'github:GET:/repos/**',
  });
  t.assert.equal(r.body.error, 'invalid_grant', JSON.stringify(r));
  const events = await p.eventsAfter(mark);
  t.assert.equal(
    events.some((e) => e.kind === 'token.exchanged'),
    false,
  );
  p.assertNoLeak(t.assert);
});

test('delegation-chain-deeper-than-the-cap', async (t) => {
  t.plan(3);
  let current = (await p.task('github:GET:/repos/acme/**')).token;
  let last: { status: number; body: Json } = { status: 0, body: {} };
  for (let i = 0; i < 12; i++) {
    last = await exchange(current, {
      grant_type: EXCHANGE,
      subject_token: current,
      subject_token_type: JWT,
      scope: 'github:GET:/repos/acme/**',
    });
    if (last.status !== 200) break;
    current = String(last.body.access_token);
  }
  t.assert.equal(last.body.code, 'ERR_DELEGATION_TOO_DEEP');
  const res = await connectOnce(p.server.proxy.port, vhost, current);
  t.assert.equal(res.status, 200, 'the deepest allowed token still connects');
  p.assertNoLeak(t.assert);
});

test('token-from-rotated-out-signing-key', async (t) => {
  t.plan(2);
  const f = await tokenFixture(t, { maxTtlSeconds: 3600 });
  const a = await f.agent('orchestrator', { github: [null, null] });
  const old = await f.tokens.startTask({
    workspaceId: f.ws,
    agent: a,
    scope: null,
    ttlSeconds: 3600,
    onBehalfOf: 'alice',
  });
  await f.tokens.rotateSigningKey();
  f.clock.advance(3 * 3_600_000);
  try {
    f.tokens.verify(old.token);
  } catch (err) {
    check(t, err instanceof AirlockError);
    check(t, ['ERR_TOKEN_INVALID', 'ERR_TOKEN_EXPIRED'].includes((err as AirlockError).code));
  }
});
