import type { AgentId, WorkspaceId } from './core/index.ts';
import { sha256Hex } from './crypto/index.ts';
import { type Binding, buildBinding, parseServiceSpec } from './policy/index.ts';
import type { AgentPrincipal } from './proxy/index.ts';
import type { Store } from './store/index.ts';

/**
 * The proxy's in-memory view of policy: agent keys (by hash) and each
 * agent's bindings. Rebuilt whole from the store after every change the
 * admin API commits, and swapped in atomically, so the request path never
 * reads the store and a revocation is seen by the very next request.
 */
export class PolicySnapshot {
  #agents = new Map<string, AgentPrincipal>();
  #bindings = new Map<AgentId, readonly Binding[]>();
  #byId = new Map<AgentId, AgentPrincipal>();
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  /** Reloads everything from the store and replaces the current view. */
  async refresh(): Promise<void> {
    const agents = new Map<string, AgentPrincipal>();
    const bindings = new Map<AgentId, Binding[]>();
    const byId = new Map<AgentId, AgentPrincipal>();
    for (const ws of await this.#store.listWorkspaces()) {
      const services = new Map((await this.#store.listServices(ws.id)).map((s) => [s.id, s]));
      const live = new Set<AgentId>();
      for (const a of await this.#store.listAgents(ws.id)) {
        if (a.revokedAt !== null) continue;
        live.add(a.id);
        const principal: AgentPrincipal = {
          agentId: a.id,
          agentName: a.name,
          workspaceId: ws.id as WorkspaceId,
        };
        agents.set(a.keyHash, principal);
        byId.set(a.id, principal);
        bindings.set(a.id, []);
      }
      for (const g of await this.#store.listGrants(ws.id)) {
        const service = services.get(g.serviceId);
        if (service === undefined || !live.has(g.agentId)) continue;
        const binding = buildBinding(g.id, service.name, parseServiceSpec(service.spec), {
          methods: g.methods,
          paths: g.paths,
          expiresAt: g.expiresAt,
        });
        bindings.get(g.agentId)?.push(binding);
      }
    }
    this.#agents = agents;
    this.#bindings = bindings;
    this.#byId = byId;
  }

  /** The principal for an agent key, or null when unknown or revoked. */
  authenticate(key: string): AgentPrincipal | null {
    return this.#agents.get(sha256Hex(key)) ?? null;
  }

  /** The live (unrevoked) agent with this id, or null: how a task token's `sub` finds its agent. */
  agent(id: AgentId): AgentPrincipal | null {
    return this.#byId.get(id) ?? null;
  }

  /** The agent's bindings (expiry is checked by the proxy against its clock). */
  bindings(principal: AgentPrincipal): readonly Binding[] {
    return this.#bindings.get(principal.agentId) ?? [];
  }
}
