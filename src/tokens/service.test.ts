import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { tokenFixture } from '../../test/helpers/tokens.ts';
import { isAirlockError } from '../core/index.ts';
import { parseScope, scopeContains } from '../policy/index.ts';
import { actDepth } from './index.ts';

const HOUR = 3600_000;

describe('task start', () => {
  test('no --scope means all of the agent’s grants; claims name agent, task, user', async (t) => {
    const f = await tokenFixture(t);
    const orch = await f.agent('orchestrator', {
      github: [['GET', 'POST'], ['/repos/acme/**']],
      slack: [null, null],
    });
    const issued = await f.tokens.startTask({
      workspaceId: f.ws,
      agent: orch,
      scope: null,
      ttlSeconds: null,
      onBehalfOf: 'alice',
    });
    const c = issued.claims;
    assert.equal(c.sub, orch.id);
    assert.equal(c.ws, f.ws);
    assert.equal(c.task, issued.taskId);
    assert.deepEqual(c.act, { sub: 'user:alice' });
    assert.deepEqual(c.anc, []);
    assert.equal(c.scope, 'github:GET,POST:/repos/acme/** slack');
    assert.equal(c.exp - c.iat, 15 * 60);
    assert.equal(issued.expiresIn, 15 * 60);
    const verified = f.tokens.verify(issued.token, { workspaceId: f.ws });
    assert.deepEqual(verified.claims, c);
    const task = await f.store.getTask(f.ws, issued.taskId);
    assert.equal(task?.onBehalfOf, 'alice');
    assert.equal((await f.store.getToken(f.ws, c.jti))?.depth, 0);
  });

  test('a scope wider than the grants is refused, not clipped', async (t) => {
    t.plan(3);
    const f = await tokenFixture(t);
    const orch = await f.agent('orchestrator', { github: [['GET'], ['/repos/**']] });
    for (const scope of ['github:POST', 'github:GET:/orgs/**', 'slack']) {
      try {
        await f.tokens.startTask({
          workspaceId: f.ws,
          agent: orch,
          scope: [scope],
          ttlSeconds: null,
          onBehalfOf: 'alice',
        });
      } catch (err) {
        t.assert.equal(isAirlockError(err, 'ERR_SCOPE_EXCEEDS_GRANT'), true);
      }
    }
  });

  test('the TTL is capped', async (t) => {
    const f = await tokenFixture(t, { maxTtlSeconds: 3600, defaultTtlSeconds: 600 });
    const orch = await f.agent('orchestrator', { github: [null, null] });
    const issued = await f.tokens.startTask({
      workspaceId: f.ws,
      agent: orch,
      scope: ['github:GET'],
      ttlSeconds: 48 * 3600,
      onBehalfOf: 'alice',
    });
    assert.equal(issued.claims.exp - issued.claims.iat, 3600);
  });
});

describe('exchange (RFC 8693)', () => {
  test('a three-level chain narrows scope, nests act, and never extends exp', async (t) => {
    const f = await tokenFixture(t);
    const grants = { github: [null, null] as [null, null], slack: [null, null] as [null, null] };
    const orch = await f.agent('orchestrator', grants);
    const worker = await f.agent('worker', grants);
    const sub = await f.agent('subworker', grants);
    const root = await f.tokens.startTask({
      workspaceId: f.ws,
      agent: orch,
      scope: null,
      ttlSeconds: 3600,
      onBehalfOf: 'alice',
    });
    const w = await f.tokens.exchange(f.tokens.verify(root.token), {
      scope: ['github:GET,POST:/repos/acme/**'],
      actor: worker,
      ttlSeconds: 7200,
    });
    assert.equal(w.claims.exp, root.claims.exp);
    assert.deepEqual(w.claims.act, { sub: orch.id, act: { sub: 'user:alice' } });
    assert.deepEqual(w.claims.anc, [root.claims.jti]);
    assert.equal(w.claims.task, root.claims.task);
    const s = await f.tokens.exchange(f.tokens.verify(w.token), {
      scope: ['github:GET:/repos/acme/app/issues/**'],
      actor: sub,
      ttlSeconds: 60,
    });
    assert.equal(s.claims.sub, sub.id);
    assert.equal(s.claims.exp, s.claims.iat + 60);
    assert.deepEqual(s.claims.act, {
      sub: worker.id,
      act: { sub: orch.id, act: { sub: 'user:alice' } },
    });
    assert.equal(actDepth(s.claims.act), 3);
    assert.equal((await f.store.getToken(f.ws, s.claims.jti))?.parentJti, w.claims.jti);
  });

  test('a wider scope is refused (invalid_scope), never clipped', async (t) => {
    t.plan(2);
    const f = await tokenFixture(t);
    const orch = await f.agent('orchestrator', { github: [null, null] });
    const root = await f.tokens.startTask({
      workspaceId: f.ws,
      agent: orch,
      scope: ['github:GET:/repos/**'],
      ttlSeconds: null,
      onBehalfOf: 'alice',
    });
    for (const wider of ['github:GET,POST:/repos/**', 'github:GET:/**']) {
      try {
        await f.tokens.exchange(f.tokens.verify(root.token), {
          scope: [wider],
          actor: null,
          ttlSeconds: null,
        });
      } catch (err) {
        t.assert.equal(isAirlockError(err, 'ERR_SCOPE_EXCEEDS_PARENT'), true);
      }
    }
  });

  test('a sub-agent must hold grants for the scope', async (t) => {
    t.plan(1);
    const f = await tokenFixture(t);
    const orch = await f.agent('orchestrator', { github: [null, null], slack: [null, null] });
    const worker = await f.agent('worker', { github: [null, null] });
    const root = await f.tokens.startTask({
      workspaceId: f.ws,
      agent: orch,
      scope: null,
      ttlSeconds: null,
      onBehalfOf: 'alice',
    });
    try {
      await f.tokens.exchange(f.tokens.verify(root.token), {
        scope: ['slack'],
        actor: worker,
        ttlSeconds: null,
      });
    } catch (err) {
      t.assert.equal(isAirlockError(err, 'ERR_SCOPE_EXCEEDS_GRANT'), true);
    }
  });

  test('the chain depth is capped', async (t) => {
    t.plan(2);
    const f = await tokenFixture(t, { maxDepth: 3 });
    const orch = await f.agent('orchestrator', { github: [null, null] });
    let current = await f.tokens.startTask({
      workspaceId: f.ws,
      agent: orch,
      scope: null,
      ttlSeconds: null,
      onBehalfOf: 'alice',
    });
    for (let i = 0; i < 3; i++) {
      current = {
        ...(await f.tokens.exchange(f.tokens.verify(current.token), {
          scope: null,
          actor: null,
          ttlSeconds: null,
        })),
        taskId: current.taskId,
      };
    }
    t.assert.equal(current.claims.anc.length, 3);
    try {
      await f.tokens.exchange(f.tokens.verify(current.token), {
        scope: null,
        actor: null,
        ttlSeconds: null,
      });
    } catch (err) {
      t.assert.equal(isAirlockError(err, 'ERR_DELEGATION_TOO_DEEP'), true);
    }
  });

  test('property: exchange never yields a later exp or a wider scope', async (t) => {
    const f = await tokenFixture(t);
    const orch = await f.agent('orchestrator', { github: [null, null], slack: [null, null] });
    const specArb = fc
      .tuple(
        fc.constantFrom('github', 'slack'),
        fc.constantFrom('*', 'GET', 'POST', 'GET,POST'),
        fc.constantFrom('*', '/a/**', '/a/*', '/a/b', '/b/**', '/a/*/c,/b'),
      )
      .map(([s, m, p]) => `${s}:${m}:${p}`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(specArb, { minLength: 1, maxLength: 3 }),
        fc.array(specArb, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 48 * 3600 }),
        fc.integer({ min: 1, max: 48 * 3600 }),
        fc.integer({ min: 0, max: 3600 }),
        async (parentSpecs, childSpecs, parentTtl, childTtl, elapsed) => {
          const root = await f.tokens.startTask({
            workspaceId: f.ws,
            agent: orch,
            scope: parentSpecs,
            ttlSeconds: parentTtl,
            onBehalfOf: 'alice',
          });
          const saved = f.clock.ms;
          f.clock.advance(Math.min(elapsed * 1000, (root.claims.exp - root.claims.iat - 1) * 1000));
          try {
            const child = await f.tokens.exchange(f.tokens.verify(root.token), {
              scope: childSpecs,
              actor: null,
              ttlSeconds: childTtl,
            });
            assert.ok(child.claims.exp <= root.claims.exp);
            assert.ok(scopeContains(root.scope, child.scope));
          } catch (err) {
            assert.ok(isAirlockError(err, 'ERR_SCOPE_EXCEEDS_PARENT'));
            assert.ok(!scopeContains(root.scope, parseScope(childSpecs)));
          } finally {
            f.clock.ms = saved;
          }
        },
      ),
      { seed: 8693, numRuns: 60 },
    );
  });
});

describe('signing keys', () => {
  test('rotation keeps the old key for verification until its grace ends', async (t) => {
    const f = await tokenFixture(t, { maxTtlSeconds: 3600 });
    const orch = await f.agent('orchestrator', { github: [null, null] });
    const before = await f.tokens.startTask({
      workspaceId: f.ws,
      agent: orch,
      scope: null,
      ttlSeconds: 3600,
      onBehalfOf: 'alice',
    });
    const oldKid = f.tokens.jwks().keys[0]?.kid;
    const newKid = await f.tokens.rotateSigningKey();
    assert.notEqual(newKid, oldKid);
    assert.deepEqual(
      f.tokens.jwks().keys.map((k) => k.kid),
      [newKid, oldKid],
    );
    f.clock.advance(HOUR / 2);
    assert.equal(f.tokens.verify(before.token).claims.jti, before.claims.jti);
    // A restart sees the same keys.
    const reopened = await f.reopen();
    assert.equal(reopened.verify(before.token).claims.jti, before.claims.jti);
    f.clock.advance(HOUR);
    assert.deepEqual(
      f.tokens.jwks().keys.map((k) => k.kid),
      [newKid],
    );
    t.plan(1);
    try {
      f.tokens.verify(before.token);
    } catch (err) {
      // The key is gone: invalid, not merely expired.
      t.assert.equal(isAirlockError(err, 'ERR_TOKEN_INVALID'), true);
    }
  });

  test('JWKS keys are OKP Ed25519 with RFC 7638 thumbprint kids', async (t) => {
    const f = await tokenFixture(t);
    const [key] = f.tokens.jwks().keys;
    assert.ok(key !== undefined);
    assert.equal(key.kty, 'OKP');
    assert.equal(key.crv, 'Ed25519');
    assert.equal(key.alg, 'EdDSA');
    assert.match(key.x, /^[A-Za-z0-9_-]{43}$/);
    assert.match(key.kid, /^[A-Za-z0-9_-]{43}$/);
  });
});
