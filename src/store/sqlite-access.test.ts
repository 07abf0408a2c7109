import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import {
  type AgentId,
  type ApiKeyId,
  type GrantId,
  isAirlockError,
  newId,
  type ServiceId,
  type WorkspaceId,
} from '../core/index.ts';
import {
  type AgentRecord,
  type ApiKeyRecord,
  type GrantRecord,
  openSqliteStore,
  type ServiceRecord,
  type Store,
} from './index.ts';

async function openTemp(t: TestContext): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-store-'));
  const store = await openSqliteStore(join(dir, 'airlock.db'));
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return store;
}

async function addWorkspace(store: Store, name: string): Promise<WorkspaceId> {
  const id = newId<WorkspaceId>('ws');
  await store.createWorkspace({ id, name, wrappedKey: new Uint8Array([1]), createdAt: 1 });
  return id;
}

const apiKey = (ws: WorkspaceId, name: string, keyHash: string): ApiKeyRecord => ({
  id: newId<ApiKeyId>('key'),
  workspaceId: ws,
  name,
  role: 'operator',
  keyHash,
  createdAt: 10,
  revokedAt: null,
});

const agent = (ws: WorkspaceId, name: string, keyHash: string): AgentRecord => ({
  id: newId<AgentId>('agt'),
  workspaceId: ws,
  name,
  keyHash,
  createdAt: 20,
  rotatedAt: null,
  revokedAt: null,
});

const service = (ws: WorkspaceId, name: string): ServiceRecord => ({
  id: newId<ServiceId>('svc'),
  workspaceId: ws,
  name,
  spec: { kind: 'bearer', hosts: ['api.example.com:443'], nested: { n: 1, ok: true } },
  createdAt: 30,
});

const grant = (
  ws: WorkspaceId,
  agentId: AgentId,
  serviceId: ServiceId,
  createdAt: number,
): GrantRecord => ({
  id: newId<GrantId>('grt'),
  workspaceId: ws,
  agentId,
  serviceId,
  methods: ['GET', 'POST'],
  paths: ['/v1/*'],
  expiresAt: 99_000,
  createdAt,
});

const isCode = (code: string) => (err: unknown) => isAirlockError(err) && err.code === code;

test('api keys: create, find by hash, list, revoke once', async (t) => {
  const store = await openTemp(t);
  const ws = await addWorkspace(store, 'main');
  const other = await addWorkspace(store, 'other');
  const ci = apiKey(ws, 'ci', 'h-ci');
  const admin: ApiKeyRecord = { ...apiKey(ws, 'admin', 'h-admin'), role: 'admin' };
  await store.createApiKey(ci);
  await store.createApiKey(admin);

  assert.deepEqual(await store.getApiKeyByHash('h-ci'), ci);
  assert.equal(await store.getApiKeyByHash('h-nope'), null);
  assert.deepEqual(await store.listApiKeys(ws), [admin, ci]);
  assert.deepEqual(await store.listApiKeys(other), []);

  assert.equal(await store.revokeApiKey(other, ci.id, 50), false);
  assert.equal((await store.getApiKeyByHash('h-ci'))?.revokedAt, null);
  assert.equal(await store.revokeApiKey(ws, ci.id, 50), true);
  assert.equal(await store.revokeApiKey(ws, ci.id, 60), true);
  assert.equal((await store.getApiKeyByHash('h-ci'))?.revokedAt, 50);
  assert.equal(await store.revokeApiKey(ws, newId<ApiKeyId>('key'), 60), false);
});

test('api keys: duplicate name or hash is ERR_CONFLICT and changes nothing', async (t) => {
  const store = await openTemp(t);
  const ws = await addWorkspace(store, 'main');
  const other = await addWorkspace(store, 'other');
  const ci = apiKey(ws, 'ci', 'h-ci');
  await store.createApiKey(ci);
  await assert.rejects(store.createApiKey(apiKey(ws, 'ci', 'h-2')), isCode('ERR_CONFLICT'));
  await assert.rejects(store.createApiKey(apiKey(other, 'x', 'h-ci')), isCode('ERR_CONFLICT'));
  assert.deepEqual(await store.listApiKeys(ws), [ci]);
  assert.deepEqual(await store.listApiKeys(other), []);
  await store.createApiKey(apiKey(other, 'ci', 'h-3'));
});

test('agents: create, find, list, update, workspace-scoped', async (t) => {
  const store = await openTemp(t);
  const ws = await addWorkspace(store, 'main');
  const other = await addWorkspace(store, 'other');
  const bot = agent(ws, 'bot', 'h-bot');
  const ant = agent(ws, 'ant', 'h-ant');
  await store.createAgent(bot);
  await store.createAgent(ant);

  assert.deepEqual(await store.getAgentByName(ws, 'bot'), bot);
  assert.equal(await store.getAgentByName(other, 'bot'), null);
  assert.deepEqual(await store.getAgentByKeyHash('h-ant'), ant);
  assert.deepEqual(await store.listAgents(ws), [ant, bot]);
  assert.deepEqual(await store.listAgents(other), []);

  assert.equal(await store.updateAgent(ws, bot.id, { keyHash: 'h-bot2', rotatedAt: 40 }), true);
  assert.equal(await store.getAgentByKeyHash('h-bot'), null);
  assert.deepEqual(await store.getAgentByKeyHash('h-bot2'), {
    ...bot,
    keyHash: 'h-bot2',
    rotatedAt: 40,
  });
  assert.equal(await store.updateAgent(ws, bot.id, { revokedAt: 41 }), true);
  assert.deepEqual(await store.getAgentByName(ws, 'bot'), {
    ...bot,
    keyHash: 'h-bot2',
    rotatedAt: 40,
    revokedAt: 41,
  });
  assert.equal(await store.updateAgent(ws, bot.id, {}), true);
  assert.equal(await store.updateAgent(other, bot.id, { revokedAt: 1 }), false);
  assert.equal(await store.updateAgent(ws, newId<AgentId>('agt'), { revokedAt: 1 }), false);
  assert.equal((await store.getAgentByName(ws, 'bot'))?.revokedAt, 41);
});

test('agents: duplicate name or key hash is ERR_CONFLICT and changes nothing', async (t) => {
  const store = await openTemp(t);
  const ws = await addWorkspace(store, 'main');
  const bot = agent(ws, 'bot', 'h-bot');
  const ant = agent(ws, 'ant', 'h-ant');
  await store.createAgent(bot);
  await store.createAgent(ant);
  await assert.rejects(store.createAgent(agent(ws, 'bot', 'h-x')), isCode('ERR_CONFLICT'));
  await assert.rejects(store.createAgent(agent(ws, 'new', 'h-bot')), isCode('ERR_CONFLICT'));
  await assert.rejects(
    store.updateAgent(ws, ant.id, { keyHash: 'h-bot', rotatedAt: 5 }),
    isCode('ERR_CONFLICT'),
  );
  assert.deepEqual(await store.listAgents(ws), [ant, bot]);
});

test('services: create, find, list, JSON spec round trip, duplicate name', async (t) => {
  const store = await openTemp(t);
  const ws = await addWorkspace(store, 'main');
  const other = await addWorkspace(store, 'other');
  const gh = service(ws, 'github');
  await store.createService(gh);
  assert.deepEqual(await store.getServiceByName(ws, 'github'), gh);
  assert.equal(await store.getServiceByName(other, 'github'), null);
  assert.deepEqual(await store.listServices(ws), [gh]);
  assert.deepEqual(await store.listServices(other), []);
  await assert.rejects(store.createService(service(ws, 'github')), isCode('ERR_CONFLICT'));
  await assert.rejects(store.createService({ ...service(ws, 'x'), spec: undefined }), TypeError);
  assert.deepEqual(await store.listServices(ws), [gh]);
});

test('grants: create, filter, delete; agent and service deletion cascade', async (t) => {
  const store = await openTemp(t);
  const ws = await addWorkspace(store, 'main');
  const other = await addWorkspace(store, 'other');
  const bot = agent(ws, 'bot', 'h-bot');
  const ant = agent(ws, 'ant', 'h-ant');
  const gh = service(ws, 'github');
  const st = service(ws, 'stripe');
  for (const a of [bot, ant]) await store.createAgent(a);
  for (const s of [gh, st]) await store.createService(s);

  const g1 = grant(ws, bot.id, gh.id, 1);
  const g2: GrantRecord = { ...grant(ws, bot.id, st.id, 2), methods: null, paths: null };
  const g3: GrantRecord = { ...grant(ws, ant.id, gh.id, 3), expiresAt: null };
  for (const g of [g1, g2, g3]) await store.createGrant(g);

  assert.deepEqual(await store.listGrants(ws), [g1, g2, g3]);
  assert.deepEqual(await store.listGrants(ws, {}), [g1, g2, g3]);
  assert.deepEqual(await store.listGrants(ws, { agentId: bot.id }), [g1, g2]);
  assert.deepEqual(await store.listGrants(ws, { serviceId: gh.id }), [g1, g3]);
  assert.deepEqual(await store.listGrants(ws, { agentId: ant.id, serviceId: gh.id }), [g3]);
  assert.deepEqual(await store.listGrants(other), []);

  assert.equal(await store.deleteGrant(other, g3.id), false);
  assert.equal(await store.deleteGrant(ws, g3.id), true);
  assert.equal(await store.deleteGrant(ws, g3.id), false);
  await store.createGrant(g3);

  assert.equal(await store.deleteAgent(other, bot.id), false);
  assert.equal(await store.deleteAgent(ws, bot.id), true);
  assert.equal(await store.deleteAgent(ws, bot.id), false);
  assert.equal(await store.getAgentByName(ws, 'bot'), null);
  assert.deepEqual(await store.listGrants(ws), [g3]);

  assert.equal(await store.deleteService(other, gh.id), false);
  assert.equal(await store.deleteService(ws, gh.id), true);
  assert.equal(await store.deleteService(ws, gh.id), false);
  assert.deepEqual(await store.listServices(ws), [st]);
  assert.deepEqual(await store.listGrants(ws), []);
});

test('grants: an agent or service from another workspace is ERR_NOT_FOUND', async (t) => {
  const store = await openTemp(t);
  const ws = await addWorkspace(store, 'main');
  const other = await addWorkspace(store, 'other');
  const mine = agent(ws, 'bot', 'h-bot');
  const theirs = agent(other, 'bot', 'h-their');
  const gh = service(ws, 'github');
  const theirSvc = service(other, 'github');
  await store.createAgent(mine);
  await store.createAgent(theirs);
  await store.createService(gh);
  await store.createService(theirSvc);

  await assert.rejects(store.createGrant(grant(ws, theirs.id, gh.id, 1)), isCode('ERR_NOT_FOUND'));
  await assert.rejects(
    store.createGrant(grant(ws, mine.id, theirSvc.id, 1)),
    isCode('ERR_NOT_FOUND'),
  );
  await assert.rejects(store.createGrant(grant(other, mine.id, gh.id, 1)), isCode('ERR_NOT_FOUND'));
  assert.deepEqual(await store.listGrants(ws), []);
  assert.deepEqual(await store.listGrants(other), []);

  const g = grant(ws, mine.id, gh.id, 1);
  await store.createGrant(g);
  await assert.rejects(store.createGrant({ ...g }), isCode('ERR_CONFLICT'));
  assert.deepEqual(await store.listGrants(ws), [g]);
});
