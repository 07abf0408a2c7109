import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { isAirlockError, newId, type SecretId, type WorkspaceId } from '../core/index.ts';
import { openSqliteStore, type Store, type StoreOps } from './index.ts';

async function tempPath(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'airlock.db');
}

async function openTemp(t: TestContext): Promise<Store> {
  const store = await openSqliteStore(await tempPath(t));
  t.after(() => store.close());
  return store;
}

const bytes = (...b: number[]) => new Uint8Array(b);
const read = async (store: Store, key: string) => {
  const v = await store.getMeta(key);
  return v === null ? null : [...v];
};
/** Lets every queued callback run once: enough for an unblocked lock to hand over. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

test('transaction: commits every write together and returns the result', async (t) => {
  const store = await openTemp(t);
  const out = await store.transaction(async (tx) => {
    await tx.putMeta('a', bytes(1));
    await tx.putMeta('b', bytes(2));
    return 'done';
  });
  assert.equal(out, 'done');
  assert.deepEqual(await read(store, 'a'), [1]);
  assert.deepEqual(await read(store, 'b'), [2]);
});

test('transaction: a throw rolls everything back and rethrows the same error', async (t) => {
  const store = await openTemp(t);
  const ws = newId<WorkspaceId>('ws');
  await store.putMeta('a', bytes(1));
  const boom = new Error('boom');
  await assert.rejects(
    store.transaction(async (tx) => {
      await tx.putMeta('a', bytes(9));
      await tx.createWorkspace({ id: ws, name: 'w', wrappedKey: bytes(1), createdAt: 1 });
      const id = newId<SecretId>('sec');
      await tx.createSecret(
        { id, workspaceId: ws, name: 's', createdAt: 1 },
        { secretId: id, version: 1, ciphertext: bytes(1), createdAt: 1 },
      );
      throw boom;
    }),
    (err) => err === boom,
  );
  assert.deepEqual(await read(store, 'a'), [1]);
  assert.deepEqual(await store.listWorkspaces(), []);
  assert.deepEqual(await store.listSecrets(ws), []);
});

test('transaction: a failed multi-row op rolls back only itself', async (t) => {
  const store = await openTemp(t);
  const ws = newId<WorkspaceId>('ws');
  await store.createWorkspace({ id: ws, name: 'w', wrappedKey: bytes(1), createdAt: 1 });
  const first = newId<SecretId>('sec');
  await store.transaction(async (tx) => {
    await tx.createSecret(
      { id: first, workspaceId: ws, name: 's', createdAt: 1 },
      { secretId: first, version: 1, ciphertext: bytes(1), createdAt: 1 },
    );
    const dup = newId<SecretId>('sec');
    await assert.rejects(
      tx.createSecret(
        { id: dup, workspaceId: ws, name: 's', createdAt: 2 },
        { secretId: dup, version: 1, ciphertext: bytes(2), createdAt: 2 },
      ),
      (err) => isAirlockError(err, 'ERR_CONFLICT'),
    );
    await assert.rejects(
      tx.addSecretVersion(ws, { secretId: dup, version: 2, ciphertext: bytes(3), createdAt: 3 }),
      (err) => isAirlockError(err, 'ERR_NOT_FOUND'),
    );
  });
  const secrets = await store.listSecrets(ws);
  assert.deepEqual(
    secrets.map((s) => [s.id, s.versionCount]),
    [[first, 1]],
  );
});

test('transaction: two concurrent transactions never interleave', async (t) => {
  const store = await openTemp(t);
  const log: string[] = [];
  const body = (name: string) => async (tx: StoreOps) => {
    log.push(`${name}:begin`);
    await tx.putMeta('owner', new TextEncoder().encode(name));
    await turn();
    await turn();
    const seen = new TextDecoder().decode((await tx.getMeta('owner')) ?? bytes());
    log.push(`${name}:sees:${seen}`);
    await tx.putMeta(`${name}:done`, bytes(1));
    log.push(`${name}:end`);
  };
  await Promise.all([store.transaction(body('A')), store.transaction(body('B'))]);
  assert.deepEqual(log, ['A:begin', 'A:sees:A', 'A:end', 'B:begin', 'B:sees:B', 'B:end']);
});

test('transaction: another caller cannot see or join an open transaction', async (t) => {
  const store = await openTemp(t);
  await store.putMeta('k', bytes(1));
  const inside = deferred();
  const release = deferred();
  const txDone = store.transaction(async (tx) => {
    await tx.putMeta('k', bytes(2));
    inside.resolve();
    await release.promise;
    throw new Error('abandon');
  });
  await inside.promise;
  let outside: number[] | null | 'pending' = 'pending';
  const reader = read(store, 'k').then((v) => {
    outside = v;
  });
  const writer = store.putMeta('w', bytes(5));
  await turn();
  await turn();
  assert.equal(outside, 'pending', 'a plain read waits for the open transaction');
  release.resolve();
  await assert.rejects(txDone, /abandon/);
  await Promise.all([reader, writer]);
  assert.deepEqual(outside, [1], 'the read saw the state after rollback, never the dirty write');
  assert.deepEqual(await read(store, 'w'), [5], 'the queued write was not rolled back with it');
});

test('transaction: using the store itself inside the body is a TypeError, not a deadlock', async (t) => {
  const store = await openTemp(t);
  await store.transaction(async (tx) => {
    await assert.rejects(
      store.transaction(async () => {}),
      TypeError,
    );
    await assert.rejects(store.getMeta('k'), TypeError);
    await assert.rejects(store.close(), TypeError);
    await tx.putMeta('k', bytes(3));
  });
  assert.deepEqual(await read(store, 'k'), [3]);
});

test('transaction: a tx object used after its transaction is a TypeError', async (t) => {
  const store = await openTemp(t);
  let leaked: StoreOps | undefined;
  await store.transaction(async (tx) => {
    leaked = tx;
  });
  assert.ok(leaked);
  await assert.rejects(leaked.putMeta('k', bytes(1)), TypeError);
  assert.equal(await store.getMeta('k'), null);
});

test('close: idempotent; later operations fail with ERR_STORE', async (t) => {
  const store = await openSqliteStore(await tempPath(t));
  await store.close();
  await store.close();
  await assert.rejects(store.getMeta('k'), (err) => isAirlockError(err, 'ERR_STORE'));
  await assert.rejects(
    store.transaction(async () => {}),
    (err) => isAirlockError(err, 'ERR_STORE'),
  );
});

const CHILD = `
const { openSqliteStore } = await import(process.argv[1]);
const store = await openSqliteStore(process.argv[2]);
await store.putMeta('k', new Uint8Array([1]));
if (process.argv[3] === 'mid-transaction') {
  await store.transaction(async (tx) => {
    await tx.putMeta('k', new Uint8Array([2]));
    await tx.putMeta('j', new Uint8Array([2]));
    process.kill(process.pid, 'SIGKILL');
    await new Promise(() => {});
  });
}
process.kill(process.pid, 'SIGKILL');
`;

async function runAndKill(path: string, mode: string): Promise<void> {
  const url = new URL('./index.ts', import.meta.url).href;
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, url, path, mode], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const [code, signal] = await once(child, 'exit');
  assert.equal(code, null);
  assert.equal(signal, 'SIGKILL');
}

test('durability: a completed write survives SIGKILL; an open transaction does not', async (t) => {
  const path = await tempPath(t);
  await runAndKill(path, 'after-write');
  let store = await openSqliteStore(path);
  assert.deepEqual(await read(store, 'k'), [1]);
  await store.close();

  await runAndKill(path, 'mid-transaction');
  store = await openSqliteStore(path);
  assert.deepEqual(await read(store, 'k'), [1]);
  assert.equal(await store.getMeta('j'), null);
  await store.close();
});
