import { createHmac, sign } from 'node:crypto';
import { describe, type TestContext, test } from 'node:test';
import { tokenFixture } from '../../test/helpers/tokens.ts';
import { type ErrorCode, isAirlockError } from '../core/index.ts';
import { loadSigningKeys } from './index.ts';

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

async function setup(t: TestContext) {
  const f = await tokenFixture(t);
  const orch = await f.agent('orchestrator', { github: [null, null] });
  const issued = await f.tokens.startTask({
    workspaceId: f.ws,
    agent: orch,
    scope: ['github:GET'],
    ttlSeconds: 600,
    onBehalfOf: 'alice',
  });
  const keys = await loadSigningKeys(f.store, f.instanceKey);
  if (keys === null || keys.current.privateKey === null) throw new Error('no keys');
  const [h, p, s] = issued.token.split('.') as [string, string, string];
  const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as Record<string, unknown>;
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  const privateKey = keys.current.privateKey;
  /** Signs any header and payload with the real current key. */
  const forge = (hdr: unknown, body: unknown) => {
    const input = `${b64(hdr)}.${b64(body)}`;
    return `${input}.${sign(null, Buffer.from(input), privateKey).toString('base64url')}`;
  };
  return { f, issued, keys, parts: { h, p, s }, header, payload, forge };
}

/** Asserts `fn` throws an AirlockError with `code` (planned, so the branch must run). */
function refuses(t: TestContext, code: ErrorCode, fn: () => unknown): void {
  try {
    fn();
    t.assert.fail(`expected ${code}`);
  } catch (err) {
    t.assert.equal(isAirlockError(err) ? err.code : String(err), code);
  }
}

describe('task token refusals', () => {
  test('the genuine token verifies', async (t) => {
    const { f, issued } = await setup(t);
    t.assert.equal(
      f.tokens.verify(issued.token, { workspaceId: f.ws }).claims.jti,
      issued.claims.jti,
    );
  });

  test('tampered-payload', async (t) => {
    t.plan(2);
    const { f, parts, payload } = await setup(t);
    const wider = b64({ ...payload, scope: 'github' });
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(`${parts.h}.${wider}.${parts.s}`));
    const later = b64({ ...payload, exp: (payload.exp as number) + 3600 });
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(`${parts.h}.${later}.${parts.s}`));
  });

  test('tampered-signature', async (t) => {
    t.plan(2);
    const { f, parts } = await setup(t);
    const sig = Buffer.from(parts.s, 'base64url');
    sig[10] = (sig[10] ?? 0) ^ 1;
    refuses(t, 'ERR_TOKEN_INVALID', () =>
      f.tokens.verify(`${parts.h}.${parts.p}.${sig.toString('base64url')}`),
    );
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(`${parts.h}.${parts.p}.`));
  });

  test('alg-none', async (t) => {
    t.plan(2);
    const { f, header, parts } = await setup(t);
    const none = b64({ ...header, alg: 'none' });
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(`${none}.${parts.p}.`));
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(`${none}.${parts.p}.${parts.s}`));
  });

  test('hs256-with-public-key', async (t) => {
    t.plan(3);
    const { f, header, parts, keys } = await setup(t);
    const hs = b64({ ...header, alg: 'HS256' });
    const input = `${hs}.${parts.p}`;
    const secrets = [
      keys.current.publicKey.export({ format: 'der', type: 'spki' }),
      Buffer.from(keys.current.publicKey.export({ format: 'pem', type: 'spki' })),
      Buffer.from(String(keys.current.publicKey.export({ format: 'jwk' }).x), 'base64url'),
    ];
    for (const secret of secrets) {
      const mac = createHmac('sha256', secret).update(input).digest('base64url');
      refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(`${input}.${mac}`));
    }
  });

  test('header-confusion: wrong typ, unknown kid, embedded jwk, crit', async (t) => {
    t.plan(5);
    const { f, header, payload, forge } = await setup(t);
    refuses(t, 'ERR_TOKEN_INVALID', () =>
      f.tokens.verify(forge({ ...header, typ: 'JWT' }, payload)),
    );
    refuses(t, 'ERR_TOKEN_INVALID', () =>
      f.tokens.verify(forge({ ...header, kid: 'nope' }, payload)),
    );
    refuses(t, 'ERR_TOKEN_INVALID', () =>
      f.tokens.verify(forge({ ...header, jwk: { kty: 'OKP' } }, payload)),
    );
    refuses(t, 'ERR_TOKEN_INVALID', () =>
      f.tokens.verify(forge({ ...header, crit: ['x'] }, payload)),
    );
    // The genuine signature path still works for a well-formed forge: proves `forge` is sound.
    t.assert.equal(f.tokens.verify(forge(header, payload)).claims.jti, payload.jti);
  });

  test('claims-sanity: unknown claim, future iat, over-long life, wrong iss or aud, bad act', async (t) => {
    t.plan(7);
    const { f, header, payload, forge } = await setup(t);
    const v = (body: Record<string, unknown>) => () => f.tokens.verify(forge(header, body));
    const iat = payload.iat as number;
    refuses(t, 'ERR_TOKEN_INVALID', v({ ...payload, admin: true }));
    refuses(t, 'ERR_TOKEN_INVALID', v({ ...payload, iat: iat + 3600, exp: iat + 3700 }));
    refuses(t, 'ERR_TOKEN_INVALID', v({ ...payload, exp: iat + 48 * 3600 }));
    refuses(t, 'ERR_TOKEN_INVALID', v({ ...payload, iss: 'urn:airlock:someone-else' }));
    refuses(t, 'ERR_TOKEN_INVALID', v({ ...payload, aud: 'elsewhere' }));
    refuses(t, 'ERR_TOKEN_INVALID', v({ ...payload, act: { sub: 'x', act: { sub: 'y' } } }));
    refuses(t, 'ERR_TOKEN_INVALID', v({ ...payload, scope: 'github:GET:relative' }));
  });

  test('bad-base64url and wrong shape', async (t) => {
    t.plan(5);
    const { f, parts, issued } = await setup(t);
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(`${parts.h}=.${parts.p}.${parts.s}`));
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(`${parts.h}.${parts.p}+.${parts.s}`));
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(`${parts.h}.${parts.p}`));
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(`${issued.token}.x`));
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify('x'.repeat(20_000)));
  });

  test('another-workspace token', async (t) => {
    t.plan(2);
    const { f, issued } = await setup(t);
    const other = await tokenFixture(t, {}, 'other');
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(issued.token, { workspaceId: other.ws }));
    // Another installation has other keys and another issuer.
    refuses(t, 'ERR_TOKEN_INVALID', () => other.tokens.verify(issued.token));
  });

  test('expired (injected clock, no sleeping)', async (t) => {
    t.plan(2);
    const { f, issued } = await setup(t);
    f.clock.advance(599_000);
    t.assert.equal(f.tokens.verify(issued.token).claims.jti, issued.claims.jti);
    f.clock.advance(1000);
    refuses(t, 'ERR_TOKEN_EXPIRED', () => f.tokens.verify(issued.token));
  });

  test('rotated-out key after its grace', async (t) => {
    t.plan(2);
    const { f, issued } = await setup(t);
    await f.tokens.rotateSigningKey();
    t.assert.equal(f.tokens.verify(issued.token).claims.jti, issued.claims.jti);
    f.clock.advance(f.tokens.policy.maxTtlSeconds * 1000);
    refuses(t, 'ERR_TOKEN_INVALID', () => f.tokens.verify(issued.token, { lenient: true }));
  });
});
