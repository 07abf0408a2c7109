import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { isAirlockError, newId, type SecretId, type WorkspaceId } from '../core/index.ts';
import { openSqliteStore, type Store, type WorkspaceRecord } from './index.ts';

async function openTemp(t: TestContext): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-store-'));
  const store = await openSqliteStore(join(dir, 'airlock.db'));
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return store;
}

function workspace(name: string): WorkspaceRecord {
  return {
    id: newId<WorkspaceId>('ws'),
    name,
    wrappedKey: new Uint8Array([1, 2, 3]),
    createdAt: 1000,
  };
}

async function addWorkspace(store: Store, name: string): Promise<WorkspaceId> {
  const ws = workspace(name);
  await store.createWorkspace(ws);
  return ws.id;
}

async function addSecret(store: Store, ws: WorkspaceId, name: string): Promise<SecretId> {
  const id = newId<SecretId>('sec');
  await store.createSecret(
    { id, workspaceId: ws, name, createdAt: 2000 },
    { secretId: id, version: 1, ciphertext: new Uint8Array([9, 1]), createdAt: 2000 },
  );
  return id;
}

const isCode = (code: string) => (err: unknown) => isAirlockError(err) && err.code === code;

test('meta: put, overwrite, get as Uint8Array, delete', async (t) => {
  const store = await openTemp(t);
  assert.equal(await store.getMeta('ca'), null);
  await store.putMeta('ca', new Uint8Array([1, 2]));
  await store.putMeta('ca', new Uint8Array([3, 4, 5]));
  const value = await store.getMeta('ca');
  assert.ok(value instanceof Uint8Array);
  assert.deepEqual([...value], [3, 4, 5]);
  await store.deleteMeta('ca');
  await store.deleteMeta('ca');
  assert.equal(await store.getMeta('ca'), null);
});

test('workspaces: create, get by id and name, list by name, re-key', async (t) => {
  const store = await openTemp(t);
  const b = workspace('beta');
  const a = workspace('alpha');
  await store.createWorkspace(b);
  await store.createWorkspace(a);
  assert.deepEqual(await store.getWorkspace(a.id), a);
  assert.deepEqual(await store.getWorkspaceByName('beta'), b);
  assert.equal(await store.getWorkspaceByName('gamma'), null);
  assert.equal(await store.getWorkspace(newId<WorkspaceId>('ws')), null);
  assert.deepEqual(
    (await store.listWorkspaces()).map((w) => w.name),
    ['alpha', 'beta'],
  );
  await store.setWorkspaceKey(a.id, new Uint8Array([7]));
  assert.deepEqual([...((await store.getWorkspace(a.id))?.wrappedKey ?? [])], [7]);
  await assert.rejects(
    store.setWorkspaceKey(newId<WorkspaceId>('ws'), new Uint8Array([7])),
    isCode('ERR_NOT_FOUND'),
  );
});

test('workspaces: a duplicate name is ERR_CONFLICT and changes nothing', async (t) => {
  const store = await openTemp(t);
  const a = workspace('alpha');
  await store.createWorkspace(a);
  await assert.rejects(store.createWorkspace(workspace('alpha')), isCode('ERR_CONFLICT'));
  await assert.rejects(store.createWorkspace({ ...a, name: 'other' }), isCode('ERR_CONFLICT'));
  assert.deepEqual(await store.listWorkspaces(), [a]);
});

test('secrets: create, rotate, read versions, list, delete', async (t) => {
  const store = await openTemp(t);
  const ws = await addWorkspace(store, 'main');
  const id = await addSecret(store, ws, 'stripe');
  await addSecret(store, ws, 'github');

  assert.deepEqual(await store.getSecretByName(ws, 'stripe'), {
    id,
    workspaceId: ws,
    name: 'stripe',
    createdAt: 2000,
    rotatedAt: null,
    currentVersion: 1,
    versionCount: 1,
  });

  await store.addSecretVersion(ws, {
    secretId: id,
    version: 2,
    ciphertext: new Uint8Array([9, 2]),
    createdAt: 3000,
  });
  const rotated = await store.getSecretByName(ws, 'stripe');
  assert.equal(rotated?.currentVersion, 2);
  assert.equal(rotated?.versionCount, 2);
  assert.equal(rotated?.rotatedAt, 3000);

  const v1 = await store.getSecretVersion(ws, id, 1);
  const v2 = await store.getSecretVersion(ws, id, 2);
  assert.ok(v1?.ciphertext instanceof Uint8Array);
  assert.deepEqual([...(v1?.ciphertext ?? [])], [9, 1]);
  assert.deepEqual(v2, { secretId: id, version: 2, ciphertext: v2?.ciphertext, createdAt: 3000 });
  assert.deepEqual([...(v2?.ciphertext ?? [])], [9, 2]);
  assert.equal(await store.getSecretVersion(ws, id, 3), null);

  assert.deepEqual(
    (await store.listSecrets(ws)).map((s) => s.name),
    ['github', 'stripe'],
  );

  assert.equal(await store.deleteSecret(ws, id), true);
  assert.equal(await store.getSecretByName(ws, 'stripe'), null);
  assert.equal(await store.getSecretVersion(ws, id, 1), null);
  assert.equal(await store.deleteSecret(ws, id), false);
  assert.deepEqual(
    (await store.listSecrets(ws)).map((s) => s.name),
    ['github'],
  );
});

test('secrets: a version that is not current + 1 is ERR_CONFLICT and changes nothing', async (t) => {
  const store = await openTemp(t);
  const ws = await addWorkspace(store, 'main');
  const id = await addSecret(store, ws, 'stripe');
  const before = await store.getSecretByName(ws, 'stripe');
  for (const version of [1, 3]) {
    await assert.rejects(
      store.addSecretVersion(ws, {
        secretId: id,
        version,
        ciphertext: new Uint8Array([0]),
        createdAt: 5000,
      }),
      isCode('ERR_CONFLICT'),
    );
  }
  assert.deepEqual(await store.getSecretByName(ws, 'stripe'), before);
  assert.deepEqual([...((await store.getSecretVersion(ws, id, 1))?.ciphertext ?? [])], [9, 1]);
});

test('secrets: a duplicate name is ERR_CONFLICT and leaves no orphan version', async (t) => {
  const store = await openTemp(t);
  const ws = await addWorkspace(store, 'main');
  await addSecret(store, ws, 'stripe');
  const before = await store.listSecrets(ws);
  const dup = newId<SecretId>('sec');
  await assert.rejects(
    store.createSecret(
      { id: dup, workspaceId: ws, name: 'stripe', createdAt: 1 },
      { secretId: dup, version: 1, ciphertext: new Uint8Array([1]), createdAt: 1 },
    ),
    isCode('ERR_CONFLICT'),
  );
  assert.deepEqual(await store.listSecrets(ws), before);
  assert.equal(await store.getSecretVersion(ws, dup, 1), null);
});

test('secrets: unknown workspace is ERR_NOT_FOUND; a bad first version is a TypeError', async (t) => {
  const store = await openTemp(t);
  const ws = await addWorkspace(store, 'main');
  const id = newId<SecretId>('sec');
  await assert.rejects(
    store.createSecret(
      { id, workspaceId: newId<WorkspaceId>('ws'), name: 'x', createdAt: 1 },
      { secretId: id, version: 1, ciphertext: new Uint8Array([1]), createdAt: 1 },
    ),
    isCode('ERR_NOT_FOUND'),
  );
  await assert.rejects(
    store.createSecret(
      { id, workspaceId: ws, name: 'x', createdAt: 1 },
      { secretId: id, version: 2, ciphertext: new Uint8Array([1]), createdAt: 1 },
    ),
    TypeError,
  );
  await assert.rejects(
    store.createSecret(
      { id, workspaceId: ws, name: 'x', createdAt: 1 },
      { secretId: newId<SecretId>('sec'), version: 1, ciphertext: new Uint8Array(), createdAt: 1 },
    ),
    TypeError,
  );
  assert.deepEqual(await store.listSecrets(ws), []);
});

test('secrets: workspace isolation (get, list, addVersion, getVersion, delete)', async (t) => {
  const store = await openTemp(t);
  const a = await addWorkspace(store, 'a');
  const b = await addWorkspace(store, 'b');
  const id = await addSecret(store, a, 'stripe');
  const before = await store.getSecretByName(a, 'stripe');

  assert.equal(await store.getSecretByName(b, 'stripe'), null);
  assert.deepEqual(await store.listSecrets(b), []);
  assert.equal(await store.getSecretVersion(b, id, 1), null);
  await assert.rejects(
    store.addSecretVersion(b, {
      secretId: id,
      version: 2,
      ciphertext: new Uint8Array([6]),
      createdAt: 9000,
    }),
    isCode('ERR_NOT_FOUND'),
  );
  assert.equal(await store.deleteSecret(b, id), false);

  assert.deepEqual(await store.getSecretByName(a, 'stripe'), before);
  assert.notEqual(await store.getSecretVersion(a, id, 1), null);
  assert.equal(await store.getSecretVersion(a, id, 2), null);

  // The same name in another workspace is a different secret, not a conflict.
  const other = await addSecret(store, b, 'stripe');
  assert.equal((await store.getSecretByName(b, 'stripe'))?.id, other);
  assert.equal((await store.getSecretByName(a, 'stripe'))?.id, id);
});
