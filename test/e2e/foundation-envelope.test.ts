import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, before, test } from 'node:test';
import { systemClock, type WorkspaceId } from '../../src/core/index.ts';
import { unlockHome } from '../../src/home/index.ts';
import { DEFAULT_MAX_SECRET_BYTES, newWrappedDataKey, Vault } from '../../src/vault/index.ts';
import { initTestHome, type TestHome } from '../helpers/airlock.ts';

let home: TestHome;
before(async () => {
  home = await initTestHome();
});
after(() => home.cleanup());

async function withVault<T>(
  fn: (vault: Vault, ws: WorkspaceId, second: WorkspaceId) => Promise<T>,
): Promise<T> {
  const { rootKey, store } = await unlockHome(home.paths, {});
  try {
    const ws = (await store.getWorkspaceByName('default'))?.id as WorkspaceId;
    let second = (await store.getWorkspaceByName('second'))?.id;
    if (second === undefined) {
      second = 'ws_second' as WorkspaceId;
      await store.createWorkspace({
        id: second,
        name: 'second',
        wrappedKey: newWrappedDataKey(rootKey, second),
        createdAt: 0,
      });
    }
    const vault = new Vault({
      store,
      rootKey,
      clock: systemClock,
      maxSecretBytes: DEFAULT_MAX_SECRET_BYTES,
    });
    return await fn(vault, ws, second);
  } finally {
    await store.close();
  }
}

function sql(fn: (db: DatabaseSync) => void): void {
  const db = new DatabaseSync(home.paths.store);
  try {
    fn(db);
  } finally {
    db.close();
  }
}

test('swapping two secrets ciphertexts in the SQLite file makes both fail with ERR_DECRYPT', async () => {
  await withVault(async (vault, ws) => {
    await vault.create(ws, 'ALPHA', 'alpha-value');
    await vault.create(ws, 'BETA', 'beta-value');
    assert.equal((await vault.reveal(ws, 'ALPHA')).toString(), 'alpha-value');
  });
  sql((db) => {
    const rows = db
      .prepare(
        'SELECT v.secret_id AS id, v.ciphertext AS c FROM secret_versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name IN (?, ?) ORDER BY s.name',
      )
      .all('ALPHA', 'BETA') as { id: string; c: Uint8Array }[];
    assert.equal(rows.length, 2);
    const [a, b] = rows as [{ id: string; c: Uint8Array }, { id: string; c: Uint8Array }];
    const update = db.prepare('UPDATE secret_versions SET ciphertext = ? WHERE secret_id = ?');
    update.run(b.c, a.id);
    update.run(a.c, b.id);
  });
  await withVault(async (vault, ws) => {
    await assert.rejects(vault.reveal(ws, 'ALPHA'), { code: 'ERR_DECRYPT' });
    await assert.rejects(vault.reveal(ws, 'BETA'), { code: 'ERR_DECRYPT' });
  });
});

test('a secret moved to another workspace fails to decrypt there', async () => {
  await withVault(async (vault, ws) => {
    await vault.create(ws, 'GAMMA', 'gamma-value');
  });
  sql((db) => {
    db.prepare("UPDATE secrets SET workspace_id = 'ws_second' WHERE name = 'GAMMA'").run();
  });
  await withVault(async (vault, ws, second) => {
    await assert.rejects(vault.reveal(ws, 'GAMMA'), { code: 'ERR_NOT_FOUND' });
    await assert.rejects(vault.reveal(second, 'GAMMA'), { code: 'ERR_DECRYPT' });
  });
});

test('a ciphertext copied onto another version of the same secret fails to decrypt', async () => {
  await withVault(async (vault, ws) => {
    await vault.create(ws, 'DELTA', 'delta-1');
    await vault.rotate(ws, 'DELTA', 'delta-2');
  });
  sql((db) => {
    db.prepare(
      "UPDATE secret_versions SET ciphertext = (SELECT ciphertext FROM secret_versions v JOIN secrets s ON s.id = v.secret_id WHERE s.name = 'DELTA' AND v.version = 1) WHERE version = 2 AND secret_id = (SELECT id FROM secrets WHERE name = 'DELTA')",
    ).run();
  });
  await withVault(async (vault, ws) => {
    await assert.rejects(vault.reveal(ws, 'DELTA'), { code: 'ERR_DECRYPT' });
  });
});
