import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { newId, systemClock, type WorkspaceId } from '../core/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { newWrappedDataKey, Vault } from './vault.ts';

/** A store that counts secret lookups, so a test can see what the cache saves. */
async function countingVault(): Promise<{
  vault: Vault;
  ws: WorkspaceId;
  reads: () => number;
  close(): Promise<void>;
}> {
  const store = await openSqliteStore(':memory:');
  const rootKey = randomBytes(32);
  const ws = newId<WorkspaceId>('ws');
  await store.createWorkspace({
    id: ws,
    name: 'default',
    wrappedKey: newWrappedDataKey(rootKey, ws),
    createdAt: 1,
  });
  let reads = 0;
  const counting: Store = {
    ...store,
    getSecretByName: (w, n) => {
      reads++;
      return store.getSecretByName(w, n);
    },
  };
  const vault = new Vault({ store: counting, rootKey, clock: systemClock, maxSecretBytes: 1024 });
  return { vault, ws, reads: () => reads, close: () => store.close() };
}

test('currentVersion follows writes and reads the store once per change, not per request', async (t) => {
  const fx = await countingVault();
  t.after(() => fx.close());
  const { vault, ws } = fx;

  assert.equal(await vault.currentVersion(ws, 'github'), null, 'no such secret (a reference, say)');
  const before = fx.reads();
  assert.equal(await vault.currentVersion(ws, 'github'), null);
  assert.equal(fx.reads(), before, 'absence is remembered');

  await vault.create(ws, 'github', 'v1-value');
  assert.equal(
    await vault.currentVersion(ws, 'github'),
    1,
    'a create drops the remembered absence',
  );
  assert.equal(await vault.current(ws, 'github'), 'v1-value');
  const cached = fx.reads();
  for (let i = 0; i < 5; i++) {
    assert.equal(await vault.currentVersion(ws, 'github'), 1);
    assert.equal(await vault.current(ws, 'github'), 'v1-value');
  }
  assert.equal(fx.reads(), cached, 'served from memory');

  await vault.rotate(ws, 'github', 'v2-value');
  assert.equal(await vault.currentVersion(ws, 'github'), 2);
  assert.equal(await vault.current(ws, 'github'), 'v2-value');

  await vault.remove(ws, 'github');
  assert.equal(await vault.currentVersion(ws, 'github'), null);
});
