import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import {
  type AgentId,
  type Clock,
  type GrantId,
  newId,
  type ServiceId,
  type WorkspaceId,
} from '../../src/core/index.ts';
import { openSqliteStore, type Store } from '../../src/store/index.ts';
import {
  loadTokenAgent,
  TaskTokens,
  type TokenAgent,
  type TokenPolicy,
} from '../../src/tokens/index.ts';

/** A clock a test moves by hand. */
export class ManualClock implements Clock {
  ms: number;
  constructor(start = Date.UTC(2030, 0, 1)) {
    this.ms = start;
  }
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export interface TokenFixture {
  readonly store: Store;
  readonly clock: ManualClock;
  readonly instanceKey: Uint8Array;
  readonly tokens: TaskTokens;
  readonly ws: WorkspaceId;
  /** Registers an agent with grants: service name → [methods or null, paths or null]. */
  agent(
    name: string,
    grants: Readonly<Record<string, readonly [string[] | null, string[] | null]>>,
  ): Promise<TokenAgent>;
  /** Reloads an agent from the store (after a grant change). */
  reload(id: AgentId): Promise<TokenAgent>;
  /** A second token service over the same store, as another instance or a restart would be. */
  reopen(policy?: Partial<TokenPolicy>): Promise<TaskTokens>;
}

/**
 * A store in a temporary directory with one workspace and the services
 * `github` (api.github.test) and `slack` (slack.test), and a `TaskTokens` on
 * a manual clock. Everything is removed when the test ends.
 */
export async function tokenFixture(
  t: TestContext,
  policy: Partial<TokenPolicy> = {},
  workspaceName = 'default',
): Promise<TokenFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-tokens-'));
  const store = await openSqliteStore(join(dir, 'airlock.db'));
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  const clock = new ManualClock();
  const instanceKey = randomBytes(32);
  const ws = newId<WorkspaceId>('ws');
  await store.createWorkspace({
    id: ws,
    name: workspaceName,
    wrappedKey: randomBytes(8),
    createdAt: 1,
  });
  const services = new Map<string, ServiceId>();
  for (const [name, host] of [
    ['github', 'api.github.test'],
    ['slack', 'slack.test'],
  ] as const) {
    const id = newId<ServiceId>('svc');
    services.set(name, id);
    await store.createService({
      id,
      workspaceId: ws,
      name,
      spec: { hosts: [host], auth: { kind: 'bearer' }, secret: `${name}_token` },
      createdAt: 1,
    });
  }
  const tokens = await TaskTokens.open({ store, clock, instanceKey, policy });
  const reload = async (id: AgentId): Promise<TokenAgent> => {
    const a = await loadTokenAgent(store, ws, { id });
    if (a === null) throw new Error('agent vanished');
    return a;
  };
  return {
    store,
    clock,
    instanceKey,
    tokens,
    ws,
    async agent(name, grants) {
      const id = newId<AgentId>('agt');
      await store.createAgent({
        id,
        workspaceId: ws,
        name,
        keyHash: `hash-${name}-${id}`,
        createdAt: 1,
        rotatedAt: null,
        revokedAt: null,
      });
      for (const [service, [methods, paths]] of Object.entries(grants)) {
        const serviceId = services.get(service);
        if (serviceId === undefined) throw new Error(`no service ${service}`);
        await store.createGrant({
          id: newId<GrantId>('grt'),
          workspaceId: ws,
          agentId: id,
          serviceId,
          methods,
          paths,
          expiresAt: null,
          createdAt: 1,
        });
      }
      return reload(id);
    },
    reload,
    reopen: (p = policy) => TaskTokens.open({ store, clock, instanceKey, policy: p }),
  };
}
