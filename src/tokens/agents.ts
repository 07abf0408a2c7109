import type { AgentId, WorkspaceId } from '../core/index.ts';
import { buildBinding, parseServiceSpec } from '../policy/index.ts';
import type { AgentRecord, StoreOps } from '../store/index.ts';
import type { TokenAgent } from './types.ts';

/**
 * An agent with its bindings, read from the store: what issuance checks a
 * requested scope against. Null when the agent is unknown in `ws` or revoked.
 * (The request path never calls this; it uses the proxy's snapshot.)
 */
export async function loadTokenAgent(
  store: StoreOps,
  ws: WorkspaceId,
  ref: { readonly id: AgentId } | { readonly name: string },
): Promise<TokenAgent | null> {
  let agent: AgentRecord | null;
  if ('name' in ref) agent = await store.getAgentByName(ws, ref.name);
  else agent = (await store.listAgents(ws)).find((a) => a.id === ref.id) ?? null;
  if (agent === null || agent.revokedAt !== null) return null;
  const services = new Map((await store.listServices(ws)).map((s) => [s.id, s]));
  const bindings = [];
  for (const g of await store.listGrants(ws, { agentId: agent.id })) {
    const service = services.get(g.serviceId);
    if (service === undefined) continue;
    bindings.push(
      buildBinding(g.id, service.name, parseServiceSpec(service.spec), {
        methods: g.methods,
        paths: g.paths,
        expiresAt: g.expiresAt,
      }),
    );
  }
  bindings.sort((a, b) =>
    a.serviceName === b.serviceName
      ? a.grantId.localeCompare(b.grantId)
      : a.serviceName.localeCompare(b.serviceName),
  );
  return { id: agent.id, name: agent.name, bindings };
}
