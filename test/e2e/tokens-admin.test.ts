import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type AdminFixture, startAdmin } from '../helpers/admin.ts';
import { errorCode } from '../helpers/airlock.ts';

const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';

let fx: AdminFixture;
before(async () => {
  fx = await startAdmin();
  for (const [name, host] of [
    ['github', 'api.github.test'],
    ['slack', 'slack.test'],
  ]) {
    await fx.api('POST', '/v1/secrets', { name: `${name}_tok`, value: `v-${name}-tokens-admin` });
    const svc = await fx.api('POST', '/v1/services', {
      name,
      hosts: [host],
      auth: { kind: 'bearer' },
      secret: `${name}_tok`,
    });
    assert.equal(svc.status, 201);
  }
  for (const agent of ['orchestrator', 'worker']) {
    assert.equal((await fx.api('POST', '/v1/agents', { name: agent })).status, 201);
    const g = await fx.api('POST', '/v1/grants', { agent, service: 'github' });
    assert.equal(g.status, 201);
  }
  await fx.api('POST', '/v1/grants', {
    agent: 'orchestrator',
    service: 'slack',
    methods: ['POST'],
  });
});
after(() => fx.close());

/** A form POST to the admin API as the owner (RFC 6749 §4.1.3 encoding). */
async function form(
  path: string,
  fields: Record<string, string>,
  key = fx.home.ownerKey,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${fx.server.api.port}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: new URLSearchParams(fields),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function claimsOf(token: string): Record<string, unknown> {
  const [, payload] = token.split('.');
  return JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>;
}

async function startTask(scope: string[] | null, ttl = '10m'): Promise<string> {
  const res = await fx.api('POST', '/v1/tasks', {
    agent: 'orchestrator',
    ttl,
    onBehalfOf: 'alice',
    ...(scope === null ? {} : { scope }),
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.token as string;
}

describe('airlock task start', () => {
  test('prints the token alone on stdout, the task on stderr', async () => {
    const r = await fx.cli([
      'task',
      'start',
      '--agent',
      'orchestrator',
      '--scope',
      'github:GET:/repos/**',
      '--ttl',
      '10m',
      '--on-behalf-of',
      'alice',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$/);
    assert.match(
      r.stderr,
      /^task task_[0-9a-z]+ for agent orchestrator, scope github:GET:\/repos\/\*\*/,
    );
    const c = claimsOf(r.stdout.trim());
    assert.equal(c.exp as number, (c.iat as number) + 600);
    assert.deepEqual(c.act, { sub: 'user:alice' });
  });

  test('--json, and no --scope means all grants', async () => {
    const r = await fx.cli(['task', 'start', '--agent', 'orchestrator', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { task: { scope: string; onBehalfOf: string } };
    assert.equal(out.task.scope, 'github slack:POST');
    assert.equal(out.task.onBehalfOf, 'owner');
  });

  test('a scope wider than the grants is refused', async () => {
    const r = await fx.cli(['task', 'start', '--agent', 'worker', '--scope', 'slack']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\[ERR_SCOPE_EXCEEDS_GRANT\]\n$/);
    assert.equal(r.stdout, '');
  });

  test('an auditor may not start tasks', async () => {
    const key = await fx.apiKey('auditor-tokens', 'auditor');
    const res = await fx.api('POST', '/v1/tasks', { agent: 'orchestrator' }, key);
    assert.equal(res.status, 403);
    assert.equal(errorCode(res.body), 'ERR_FORBIDDEN');
  });
});

describe('JWKS and token exchange on the admin API', () => {
  test('GET /.well-known/jwks.json needs no key and verifies issued tokens', async () => {
    const token = await startTask(['github:GET']);
    const res = await fetch(`http://127.0.0.1:${fx.server.api.port}/.well-known/jwks.json`);
    assert.equal(res.status, 200);
    const { keys } = (await res.json()) as { keys: { kid: string; x: string }[] };
    const [h, p, s] = token.split('.') as [string, string, string];
    const kid = (JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string }).kid;
    const jwk = keys.find((k) => k.kid === kid);
    assert.ok(jwk !== undefined);
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' });
    assert.ok(verify(null, Buffer.from(`${h}.${p}`), key, Buffer.from(s, 'base64url')));
  });

  test('RFC 8693 exchange answers §2.2.1; wider scope is invalid_scope with our code', async () => {
    const parent = await startTask(['github:GET,POST:/repos/**']);
    const ok = await form('/v1/oauth/token', {
      grant_type: EXCHANGE,
      subject_token: parent,
      subject_token_type: JWT,
      scope: 'github:GET:/repos/acme/**',
      actor: 'worker',
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.issued_token_type, JWT);
    assert.equal(ok.body.token_type, 'Bearer');
    assert.equal(ok.body.scope, 'github:GET:/repos/acme/**');
    assert.ok(typeof ok.body.expires_in === 'number' && ok.body.expires_in <= 600);
    const child = claimsOf(ok.body.access_token as string);
    assert.deepEqual((child.act as { act: unknown }).act, { sub: 'user:alice' });

    const wider = await form('/v1/oauth/token', {
      grant_type: EXCHANGE,
      subject_token: parent,
      subject_token_type: JWT,
      scope: 'github',
    });
    assert.equal(wider.status, 400);
    assert.equal(wider.body.error, 'invalid_scope');
    assert.equal(wider.body.code, 'ERR_SCOPE_EXCEEDS_PARENT');

    const grant = await form('/v1/oauth/token', { grant_type: 'password', subject_token: parent });
    assert.equal(grant.body.error, 'unsupported_grant_type');
    const missing = await form('/v1/oauth/token', { grant_type: EXCHANGE });
    assert.equal(missing.body.error, 'invalid_request');
    const garbage = await form('/v1/oauth/token', {
      grant_type: EXCHANGE,
      subject_token: `${parent}x`,
      subject_token_type: JWT,
    });
    assert.equal(garbage.body.error, 'invalid_grant');
    assert.equal(garbage.body.code, 'ERR_TOKEN_INVALID');
  });
});

describe('revocation', () => {
  async function exchange(subject: string) {
    return form('/v1/oauth/token', {
      grant_type: EXCHANGE,
      subject_token: subject,
      subject_token_type: JWT,
      actor: 'worker',
    });
  }

  test('airlock revoke --token JTI cuts off the token and its descendants', async () => {
    const root = await startTask(['github:GET']);
    const child = (await exchange(root)).body.access_token as string;
    const r = await fx.cli(['revoke', '--token', claimsOf(root).jti as string]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'revoked 2 token(s)\n');
    const again = await exchange(child);
    assert.equal(again.body.error, 'invalid_grant');
    assert.equal(again.body.code, 'ERR_TOKEN_REVOKED');
  });

  test('--task and --agent; exactly one target', async () => {
    const root = await startTask(['github:GET']);
    const task = await fx.cli(['revoke', '--task', claimsOf(root).task as string, '--json']);
    assert.equal(task.code, 0, task.stderr);
    assert.deepEqual(JSON.parse(task.stdout), { revoked: 1 });
    const other = await startTask(['github:GET']);
    await exchange(other);
    const agent = await fx.cli(['revoke', '--agent', 'worker']);
    assert.equal(agent.code, 0, agent.stderr);
    assert.equal((await exchange(other)).status, 200, 'the orchestrator token still works');
    const both = await fx.cli(['revoke', '--agent', 'worker', '--task', 'x']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /ERR_INVALID_ARGUMENT/);
    const none = await fx.cli(['revoke', '--task', 'task_nope']);
    assert.match(none.stderr, /ERR_NOT_FOUND/);
  });

  test('POST /v1/oauth/revoke (RFC 7009) answers 200 and revokes', async () => {
    const root = await startTask(['github:GET']);
    const bogus = await form('/v1/oauth/revoke', { token: 'nonsense' });
    assert.deepEqual(bogus, { status: 200, body: {} });
    const res = await form('/v1/oauth/revoke', { token: root, token_type_hint: 'access_token' });
    assert.deepEqual(res, { status: 200, body: {} });
    assert.equal((await exchange(root)).body.code, 'ERR_TOKEN_REVOKED');
  });
});

test('airlock key rotate-signing adds a key; tokens of the old one keep working', async () => {
  const before = await startTask(['github:GET']);
  const r = await fx.cli(['key', 'rotate-signing', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const { kid } = JSON.parse(r.stdout) as { kid: string };
  const res = await fetch(`http://127.0.0.1:${fx.server.api.port}/.well-known/jwks.json`);
  const { keys } = (await res.json()) as { keys: { kid: string }[] };
  assert.equal(keys.length, 2);
  assert.equal(keys[0]?.kid, kid);
  const after = await startTask(['github:GET']);
  assert.equal(JSON.parse(Buffer.from(after.split('.')[0] ?? '', 'base64url').toString()).kid, kid);
  assert.equal(
    (
      await form('/v1/oauth/token', {
        grant_type: EXCHANGE,
        subject_token: before,
        subject_token_type: JWT,
      })
    ).status,
    200,
  );
});
