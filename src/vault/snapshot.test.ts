import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, test } from 'node:test';
import {
  isAirlockError,
  newId,
  type ServiceId,
  systemClock,
  type WorkspaceId,
} from '../core/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import { SecretSnapshot, SOURCE_CHANNELS } from './snapshot.ts';
import { newWrappedDataKey, Vault } from './vault.ts';

let store: Store;
let vault: Vault;
let ws: WorkspaceId;
const env: Record<string, string | undefined> = {};
const events: { channel: string; message: unknown }[] = [];
const onDegraded = (message: unknown) => events.push({ channel: 'degraded', message });
const onRecovered = (message: unknown) => events.push({ channel: 'recovered', message });

async function service(name: string, secret: string): Promise<void> {
  await store.createService({
    id: newId<ServiceId>('svc'),
    workspaceId: ws,
    name,
    spec: { hosts: [`${name}.example.com`], auth: { kind: 'bearer' }, secret },
    createdAt: 1,
  });
}

async function ref(name: string, text: string): Promise<void> {
  await store.putSecretRef({ workspaceId: ws, name, ref: text, createdAt: 1, updatedAt: 1 });
}

function snapshot(): SecretSnapshot {
  return new SecretSnapshot({ store, vault, clock: systemClock, env, maxValueBytes: 1024 });
}

before(async () => {
  store = await openSqliteStore(':memory:');
  const rootKey = randomBytes(32);
  ws = newId<WorkspaceId>('ws');
  await store.createWorkspace({
    id: ws,
    name: 'default',
    wrappedKey: newWrappedDataKey(rootKey, ws),
    createdAt: 1,
  });
  vault = new Vault({ store, rootKey, clock: systemClock, maxSecretBytes: 1024 });
  subscribe(SOURCE_CHANNELS.degraded, onDegraded);
  subscribe(SOURCE_CHANNELS.recovered, onRecovered);
});

after(async () => {
  unsubscribe(SOURCE_CHANNELS.degraded, onDegraded);
  unsubscribe(SOURCE_CHANNELS.recovered, onRecovered);
  await store.close();
});

test('a failing source keeps its last-known-good value; degradation and recovery are each announced once', async () => {
  await service('github', 'gh');
  await ref('gh', 'env:GH_TOKEN');
  env.GH_TOKEN = 'ghp_first';
  const s = snapshot();
  assert.equal((await s.refresh()).state, 'ok');
  assert.equal(await s.value(ws, 'gh'), 'ghp_first');

  delete env.GH_TOKEN;
  events.length = 0;
  const degraded = await s.refresh();
  assert.equal(degraded.state, 'degraded');
  assert.deepEqual(
    degraded.failing.map((f) => [f.secret, f.state, f.code]),
    [['gh', 'stale', 'ERR_PROVIDER_NOT_FOUND']],
  );
  assert.equal(await s.value(ws, 'gh'), 'ghp_first', 'still serving the last good value');
  const since = degraded.failing[0]?.since;
  const again = await s.refresh();
  assert.equal(again.failing[0]?.since, since, 'a continuing failure keeps its start time');
  assert.deepEqual(
    events.map((e) => e.channel),
    ['degraded'],
    'announced once on entering',
  );
  assert.ok(!JSON.stringify(events).includes('ghp_first'));

  env.GH_TOKEN = 'ghp_second';
  assert.equal((await s.refresh()).state, 'ok');
  assert.equal(await s.value(ws, 'gh'), 'ghp_second');
  await s.refresh();
  assert.deepEqual(
    events.map((e) => e.channel),
    ['degraded', 'recovered'],
    'announced once on leaving',
  );
});

test('a reference with no good value ever fails closed with ERR_SECRET_UNAVAILABLE; repointing drops the old value', async () => {
  await service('never', 'never');
  await ref('never', 'env:NEVER_SET');
  const s = snapshot();
  await s.refresh();
  await assert.rejects(s.value(ws, 'never'), (err: unknown) =>
    isAirlockError(err, 'ERR_SECRET_UNAVAILABLE'),
  );
  assert.equal(s.status().failing.find((f) => f.secret === 'never')?.state, 'unavailable');

  env.GH_TOKEN = 'ghp_before_repoint';
  await s.refresh();
  await ref('gh', 'env:GH_OTHER');
  await s.refresh();
  await assert.rejects(s.value(ws, 'gh'), (err: unknown) => {
    assert.ok(isAirlockError(err, 'ERR_SECRET_UNAVAILABLE'));
    assert.ok(!err.message.includes('ghp_before_repoint'));
    return true;
  });
  await ref('gh', 'env:GH_TOKEN');
  await s.refresh();
});

test('only references some service uses are resolved; "new" resolves only what is new', async () => {
  await ref('unused', 'exec:nobody#x');
  env.LATE = 'late-1';
  const s = snapshot();
  await s.refresh();
  const unused = s.describe(ws).find((r) => r.name === 'unused');
  assert.equal(unused?.state, 'unused');
  assert.equal(
    s.status().failing.some((f) => f.secret === 'unused'),
    false,
  );

  await ref('late', 'env:LATE');
  await service('late', 'late');
  env.LATE = 'late-1';
  env.GH_TOKEN = 'ghp_changed_meanwhile';
  await s.refresh('new');
  assert.equal(await s.value(ws, 'late'), 'late-1');
  assert.notEqual(
    await s.value(ws, 'gh'),
    'ghp_changed_meanwhile',
    '"new" left resolved ones alone',
  );
  await s.refresh();
  assert.equal(await s.value(ws, 'gh'), 'ghp_changed_meanwhile');
});

test('stored secrets come from the vault; a name is stored or a reference, never both', async () => {
  await vault.create(ws, 'stored', 'stored-value');
  const s = snapshot();
  await s.refresh();
  assert.equal(await s.value(ws, 'stored'), 'stored-value');
  await assert.rejects(s.value(ws, 'nothing-here'), (err: unknown) =>
    isAirlockError(err, 'ERR_SECRET_UNAVAILABLE'),
  );
  await assert.rejects(ref('stored', 'env:X'), (err: unknown) =>
    isAirlockError(err, 'ERR_CONFLICT'),
  );
  await assert.rejects(vault.create(ws, 'gh', 'v'), (err: unknown) =>
    isAirlockError(err, 'ERR_CONFLICT'),
  );
});

test('a value over the size cap is not served', async () => {
  await service('big', 'big');
  await ref('big', 'env:BIG');
  env.BIG = 'x'.repeat(2048);
  const s = snapshot();
  const status = await s.refresh();
  assert.equal(status.failing.find((f) => f.secret === 'big')?.code, 'ERR_VALUE_TOO_LARGE');
  await assert.rejects(s.value(ws, 'big'), (err: unknown) =>
    isAirlockError(err, 'ERR_SECRET_UNAVAILABLE'),
  );
});
