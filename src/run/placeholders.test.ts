import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type AgentId, isAirlockError, newId, type WorkspaceId } from '../core/index.ts';
import { isPlaceholder } from '../proxy/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import {
  hashPlaceholder,
  mintPlaceholder,
  mintTaskPlaceholders,
  PlaceholderTable,
} from './placeholders.ts';

async function storeWithTask(): Promise<{ store: Store; ws: WorkspaceId; taskId: string }> {
  const store = await openSqliteStore(':memory:');
  const ws = newId<WorkspaceId>('ws');
  await store.createWorkspace({
    id: ws,
    name: 'default',
    wrappedKey: new Uint8Array([1]),
    createdAt: 1,
  });
  const agentId = newId<AgentId>('agt');
  await store.createAgent({
    id: agentId,
    workspaceId: ws,
    name: 'coder',
    keyHash: 'h',
    createdAt: 1,
    rotatedAt: null,
    revokedAt: null,
  });
  const taskId = newId<string>('task');
  await store.createTask({
    id: taskId,
    workspaceId: ws,
    agentId,
    onBehalfOf: 'owner',
    scope: 'openai',
    createdAt: 10,
    expiresAt: 1000,
    revokedAt: null,
  });
  return { store, ws, taskId };
}

test('a placeholder is alk_ph_ and 32 random base32 characters, never the same twice', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const p = mintPlaceholder();
    assert.match(p, /^alk_ph_[0-9a-hjkmnp-tv-z]{32}$/);
    assert.ok(isPlaceholder(p));
    seen.add(p);
  }
  assert.equal(seen.size, 200);
});

test('minting stores hashes only, and the table answers by the text', async () => {
  const { store, ws, taskId } = await storeWithTask();
  try {
    const table = new PlaceholderTable();
    const minted = await mintTaskPlaceholders(
      store,
      table,
      { workspaceId: ws, id: taskId, expiresAt: 1000 },
      ['openai', 'github', 'openai'],
      20,
    );
    assert.deepEqual(
      minted.map((m) => m.secret),
      ['openai', 'github'],
    );
    const rows = await store.listTaskPlaceholders(ws, taskId);
    assert.equal(rows.length, 2);
    for (const m of minted) {
      assert.ok(rows.some((r) => r.hash === hashPlaceholder(m.placeholder)));
      assert.ok(!JSON.stringify(rows).includes(m.placeholder), 'never the text');
      assert.deepEqual(table.lookup(m.placeholder), {
        workspaceId: ws,
        taskId,
        secretName: m.secret,
        expiresAt: 1000,
      });
      assert.equal(table.placeholderFor(ws, taskId, m.secret), m.placeholder);
    }
    assert.equal(table.lookup(mintPlaceholder()), null);
    // One per secret per task.
    await assert.rejects(
      mintTaskPlaceholders(
        store,
        table,
        { workspaceId: ws, id: taskId, expiresAt: 1000 },
        ['openai'],
        30,
      ),
      (err) => isAirlockError(err, 'ERR_CONFLICT'),
    );
    // Another workspace's task is not found.
    await assert.rejects(
      mintTaskPlaceholders(
        store,
        table,
        { workspaceId: newId<WorkspaceId>('ws'), id: taskId, expiresAt: 1000 },
        ['x'],
        30,
      ),
      (err) => isAirlockError(err, 'ERR_NOT_FOUND'),
    );
  } finally {
    await store.close();
  }
});

test('a table loaded from the store learns a placeholder’s text once it is presented, and prunes after expiry', async () => {
  const { store, ws, taskId } = await storeWithTask();
  try {
    const [m] = await mintTaskPlaceholders(
      store,
      new PlaceholderTable(),
      { workspaceId: ws, id: taskId, expiresAt: 1000 },
      ['openai'],
      20,
    );
    assert.ok(m !== undefined);
    const restarted = new PlaceholderTable();
    restarted.load(await store.listPlaceholders(20));
    assert.equal(restarted.size, 1);
    assert.equal(restarted.placeholderFor(ws, taskId, 'openai'), null);
    assert.equal(restarted.lookup(m.placeholder)?.secretName, 'openai');
    assert.equal(restarted.placeholderFor(ws, taskId, 'openai'), m.placeholder);
    assert.deepEqual(await store.listPlaceholders(1000), []);
    assert.equal(restarted.prune(999), 0);
    assert.equal(restarted.prune(1000), 1);
    assert.equal(restarted.lookup(m.placeholder), null);
    // Pruning the task's tokens and tasks takes its placeholders along.
    await store.pruneTokens(2000);
    assert.deepEqual(await store.listTaskPlaceholders(ws, taskId), []);
  } finally {
    await store.close();
  }
});
