import assert from 'node:assert/strict';
import { describe, type TestContext, test } from 'node:test';
import { tokenFixture } from '../../test/helpers/tokens.ts';
import { isAirlockError } from '../core/index.ts';
import type { TaskTokens } from './index.ts';

const HOUR = 3600_000;

describe('revocation (RFC 7009)', () => {
  async function chain(t: TestContext) {
    const f = await tokenFixture(t);
    const g = { github: [null, null] as [null, null] };
    const orch = await f.agent('orchestrator', g);
    const worker = await f.agent('worker', g);
    const sub = await f.agent('subworker', g);
    const root = await f.tokens.startTask({
      workspaceId: f.ws,
      agent: orch,
      scope: null,
      ttlSeconds: 3600,
      onBehalfOf: 'alice',
    });
    const mid = await f.tokens.exchange(f.tokens.verify(root.token), {
      scope: null,
      actor: worker,
      ttlSeconds: 1800,
    });
    const leaf = await f.tokens.exchange(f.tokens.verify(mid.token), {
      scope: null,
      actor: sub,
      ttlSeconds: 900,
    });
    return { f, root, mid, leaf, orch, worker, sub };
  }

  const state = (tokens: TaskTokens, token: string): string => {
    try {
      tokens.verify(token);
      return 'ok';
    } catch (err) {
      return isAirlockError(err) ? err.code : 'other';
    }
  };

  test('revoking the middle link stops the two below, not the top', async (t) => {
    const { f, root, mid, leaf } = await chain(t);
    const reached = await f.tokens.revoke(f.ws, { kind: 'token', jti: mid.claims.jti });
    assert.equal(reached.length, 2);
    assert.equal(state(f.tokens, root.token), 'ok');
    assert.equal(state(f.tokens, mid.token), 'ERR_TOKEN_REVOKED');
    assert.equal(state(f.tokens, leaf.token), 'ERR_TOKEN_REVOKED');
    // A restart (or another instance) loads the same state from the store.
    const again = await f.reopen();
    assert.equal(state(again, root.token), 'ok');
    assert.equal(state(again, leaf.token), 'ERR_TOKEN_REVOKED');
  });

  test('a revoked token cannot be exchanged', async (t) => {
    t.plan(1);
    const { f, mid } = await chain(t);
    const verified = f.tokens.verify(mid.token);
    await f.tokens.revoke(f.ws, { kind: 'token', jti: mid.claims.jti });
    try {
      await f.tokens.exchange(verified, { scope: null, actor: null, ttlSeconds: null });
    } catch (err) {
      t.assert.equal(isAirlockError(err, 'ERR_TOKEN_REVOKED'), true);
    }
  });

  test('revoking a task or an agent reaches every token it should', async (t) => {
    const a = await chain(t);
    await a.f.tokens.revoke(a.f.ws, { kind: 'agent', agentId: a.worker.id });
    assert.equal(state(a.f.tokens, a.root.token), 'ok');
    assert.equal(state(a.f.tokens, a.leaf.token), 'ERR_TOKEN_REVOKED');
    await a.f.tokens.revoke(a.f.ws, { kind: 'task', taskId: a.root.taskId });
    assert.equal(state(a.f.tokens, a.root.token), 'ERR_TOKEN_REVOKED');
    assert.equal((await a.f.store.getTask(a.f.ws, a.root.taskId))?.revokedAt, a.f.clock.ms);
  });

  test('RFC 7009: presenting a token revokes it; garbage and other workspaces are no-ops', async (t) => {
    const { f, root, mid, leaf } = await chain(t);
    assert.equal(await f.tokens.revokePresented(f.ws, 'not-a-token'), 0);
    const other = await tokenFixture(t, {}, 'other');
    assert.equal(await other.tokens.revokePresented(other.ws, mid.token), 0);
    assert.equal(await f.tokens.revokePresented(f.ws, mid.token), 2);
    assert.equal(state(f.tokens, root.token), 'ok');
    assert.equal(state(f.tokens, leaf.token), 'ERR_TOKEN_REVOKED');
  });

  test('revoked ids are pruned from memory once their tokens expire', async (t) => {
    const { f, root } = await chain(t);
    await f.tokens.revoke(f.ws, { kind: 'task', taskId: root.taskId });
    assert.equal(f.tokens.revokedInMemory, 3);
    f.clock.advance(2 * HOUR);
    assert.equal(state(f.tokens, root.token), 'ERR_TOKEN_EXPIRED');
    assert.equal(f.tokens.revokedInMemory, 0);
    assert.equal(await f.tokens.prune(), 3);
  });
});
