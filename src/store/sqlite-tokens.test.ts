import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { type AgentId, isAirlockError, newId, type WorkspaceId } from '../core/index.ts';
import { openSqliteStore, type Store, type TokenRecord } from './index.ts';

async function openTemp(t: TestContext): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-tokens-'));
  const store = await openSqliteStore(join(dir, 'airlock.db'));
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return store;
}

async function workspace(store: Store, name: string): Promise<WorkspaceId> {
  const id = newId<WorkspaceId>('ws');
  await store.createWorkspace({ id, name, wrappedKey: new Uint8Array([1]), createdAt: 1 });
  return id;
}

async function agent(store: Store, ws: WorkspaceId, name: string): Promise<AgentId> {
  const id = newId<AgentId>('agt');
  await store.createAgent({
    id,
    workspaceId: ws,
    name,
    keyHash: `${name}-${ws}`,
    createdAt: 1,
    rotatedAt: null,
    revokedAt: null,
  });
  return id;
}

function token(
  ws: WorkspaceId,
  taskId: string,
  agentId: AgentId,
  parent: TokenRecord | null,
  expiresAt: number,
): TokenRecord {
  return {
    jti: newId('tok'),
    workspaceId: ws,
    taskId,
    agentId,
    parentJti: parent?.jti ?? null,
    depth: parent === null ? 0 : parent.depth + 1,
    scope: 'github',
    issuedAt: 10,
    expiresAt,
    revokedAt: null,
  };
}

interface Chain {
  ws: WorkspaceId;
  taskId: string;
  agents: AgentId[];
  tokens: TokenRecord[];
}

/** A task with a chain root → a → b and a sibling of a, in one workspace. */
async function chain(store: Store, name: string): Promise<Chain> {
  const ws = await workspace(store, name);
  const agents = [
    await agent(store, ws, 'orchestrator'),
    await agent(store, ws, 'worker'),
    await agent(store, ws, 'sub'),
  ];
  const [o, w, s] = agents as [AgentId, AgentId, AgentId];
  const taskId = newId('task');
  await store.createTask({
    id: taskId,
    workspaceId: ws,
    agentId: o,
    onBehalfOf: 'user:alice',
    scope: 'github',
    createdAt: 10,
    expiresAt: 1000,
    revokedAt: null,
  });
  const root = token(ws, taskId, o, null, 1000);
  const mid = token(ws, taskId, w, root, 900);
  const leaf = token(ws, taskId, s, mid, 800);
  const sibling = token(ws, taskId, w, root, 900);
  for (const t of [root, mid, leaf, sibling]) await store.createToken(t);
  return { ws, taskId, agents, tokens: [root, mid, leaf, sibling] };
}

const jtis = (list: readonly { jti: string }[]) => list.map((r) => r.jti).sort();

test('tasks and tokens round-trip, by workspace only', async (t) => {
  const store = await openTemp(t);
  const c = await chain(store, 'one');
  const other = await workspace(store, 'two');
  const [root] = c.tokens as [TokenRecord];
  assert.deepEqual(await store.getToken(c.ws, root.jti), root);
  assert.equal(await store.getToken(other, root.jti), null);
  assert.equal((await store.getTask(c.ws, c.taskId))?.onBehalfOf, 'user:alice');
  assert.equal(await store.getTask(other, c.taskId), null);
});

test('a token may not name an agent or task of another workspace', async (t) => {
  t.plan(1);
  const store = await openTemp(t);
  const c = await chain(store, 'one');
  const other = await workspace(store, 'two');
  try {
    await store.createToken(token(other, c.taskId, c.agents[0] as AgentId, null, 500));
  } catch (err) {
    t.assert.equal(isAirlockError(err, 'ERR_NOT_FOUND'), true);
  }
});

test('revoking the middle token reaches its descendants, not its parent or sibling', async (t) => {
  const store = await openTemp(t);
  const c = await chain(store, 'one');
  const [root, mid, leaf, sibling] = c.tokens as [
    TokenRecord,
    TokenRecord,
    TokenRecord,
    TokenRecord,
  ];
  const reached = await store.revokeTokens(c.ws, { kind: 'token', jti: mid.jti }, 50);
  assert.deepEqual(jtis(reached), jtis([mid, leaf]));
  assert.equal((await store.getToken(c.ws, root.jti))?.revokedAt, null);
  assert.equal((await store.getToken(c.ws, sibling.jti))?.revokedAt, null);
  assert.equal((await store.getToken(c.ws, leaf.jti))?.revokedAt, 50);
  // Again later: the first revocation time stays, the set is reported again.
  const again = await store.revokeTokens(c.ws, { kind: 'token', jti: mid.jti }, 60);
  assert.deepEqual(jtis(again), jtis([mid, leaf]));
  assert.equal((await store.getToken(c.ws, mid.jti))?.revokedAt, 50);
  assert.deepEqual(jtis(await store.listRevokedTokens(50)), jtis([mid, leaf]));
  // Past the leaf's expiry only the middle token is still worth holding in memory.
  assert.deepEqual(jtis(await store.listRevokedTokens(850)), [mid.jti]);
});

test('revoking a task reaches all its tokens and marks the task', async (t) => {
  const store = await openTemp(t);
  const c = await chain(store, 'one');
  const reached = await store.revokeTokens(c.ws, { kind: 'task', taskId: c.taskId }, 70);
  assert.deepEqual(jtis(reached), jtis(c.tokens));
  assert.equal((await store.getTask(c.ws, c.taskId))?.revokedAt, 70);
});

test('revoking an agent reaches its tokens and everything derived from them', async (t) => {
  const store = await openTemp(t);
  const c = await chain(store, 'one');
  const [, mid, leaf, sibling] = c.tokens as [TokenRecord, TokenRecord, TokenRecord, TokenRecord];
  const reached = await store.revokeTokens(c.ws, { kind: 'agent', agentId: mid.agentId }, 70);
  assert.deepEqual(jtis(reached), jtis([mid, leaf, sibling]));
});

test('another workspace reaches nothing; expired tokens are not reported', async (t) => {
  const store = await openTemp(t);
  const c = await chain(store, 'one');
  const other = await workspace(store, 'two');
  const [root] = c.tokens as [TokenRecord];
  assert.deepEqual(await store.revokeTokens(other, { kind: 'token', jti: root.jti }, 1), []);
  assert.deepEqual(await store.revokeTokens(other, { kind: 'task', taskId: c.taskId }, 1), []);
  assert.equal((await store.getTask(c.ws, c.taskId))?.revokedAt, null);
  assert.deepEqual(await store.revokeTokens(c.ws, { kind: 'token', jti: root.jti }, 5000), []);
});

test('prune deletes what expired, and deleting an agent deletes its tokens', async (t) => {
  const store = await openTemp(t);
  const c = await chain(store, 'one');
  const [root, mid, leaf] = c.tokens as [TokenRecord, TokenRecord, TokenRecord];
  assert.equal(await store.pruneTokens(850), 1);
  assert.equal(await store.getToken(c.ws, leaf.jti), null);
  assert.notEqual(await store.getToken(c.ws, mid.jti), null);
  await store.deleteAgent(c.ws, root.agentId);
  assert.equal(await store.getToken(c.ws, root.jti), null);
  assert.equal(await store.getToken(c.ws, mid.jti), null);
  assert.equal(await store.getTask(c.ws, c.taskId), null);
});
