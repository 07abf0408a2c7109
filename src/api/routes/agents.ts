import type { AgentId, WorkspaceId } from '../../core/index.ts';
import { AirlockError, newId } from '../../core/index.ts';
import { randomToken, sha256Hex } from '../../crypto/index.ts';
import type { AgentRecord, StoreOps } from '../../store/index.ts';
import type { ApiDeps } from '../deps.ts';
import {
  assertObjectName,
  isoOrNull,
  noSuch,
  onlyFields,
  pathParam,
  stringField,
} from '../fields.ts';
import { readJsonBody } from '../http.ts';
import type { Route } from '../router.ts';

/** An agent as the API shows it: never the key or its hash. */
export function agentView(a: AgentRecord): Record<string, unknown> {
  return {
    id: a.id,
    name: a.name,
    createdAt: new Date(a.createdAt).toISOString(),
    rotatedAt: isoOrNull(a.rotatedAt),
    revokedAt: isoOrNull(a.revokedAt),
  };
}

/** Finds an agent by name in the caller's workspace, or throws `ERR_NOT_FOUND`. */
async function agentNamed(tx: StoreOps, ws: WorkspaceId, name: string): Promise<AgentRecord> {
  const agent = await tx.getAgentByName(ws, name);
  if (agent === null) throw new AirlockError('ERR_NOT_FOUND', noSuch('agent', name));
  return agent;
}

/**
 * `/v1/agents`: register, list, rotate the key, revoke, delete. The agent key
 * (`alk_agent_…`) is returned once, by create and rotate; the store keeps
 * only its SHA-256. Every change is awaited through `onPolicyChange` so the
 * proxy stops honouring an old or revoked key before the caller hears back.
 */
export function agentRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/agents',
      action: 'agent:read',
      handle: async ({ principal }) => [
        200,
        { agents: (await deps.store.listAgents(principal.workspaceId)).map(agentView) },
      ],
    },
    {
      method: 'GET',
      path: '/v1/agents/:name',
      action: 'agent:read',
      handle: async ({ principal, params }) => [
        200,
        {
          agent: agentView(
            await agentNamed(deps.store, principal.workspaceId, pathParam(params, 'name')),
          ),
        },
      ],
    },
    {
      method: 'POST',
      path: '/v1/agents',
      action: 'agent:write',
      handle: async ({ req, principal }) => {
        const body = await readJsonBody(req);
        onlyFields(body, ['name']);
        const name = stringField(body, 'name');
        assertObjectName(name, 'agent');
        const key = randomToken('alk_agent_');
        const record: AgentRecord = {
          id: newId<AgentId>('agt'),
          workspaceId: principal.workspaceId,
          name,
          keyHash: sha256Hex(key),
          createdAt: deps.clock.now(),
          rotatedAt: null,
          revokedAt: null,
        };
        await deps.store.createAgent(record);
        await deps.onPolicyChange();
        return [201, { agent: agentView(record), key }];
      },
    },
    {
      method: 'POST',
      path: '/v1/agents/:name/rotate',
      action: 'agent:write',
      handle: async ({ principal, params }) => {
        const key = randomToken('alk_agent_');
        const keyHash = sha256Hex(key);
        const now = deps.clock.now();
        const updated = await deps.store.transaction(async (tx) => {
          const agent = await agentNamed(tx, principal.workspaceId, pathParam(params, 'name'));
          if (agent.revokedAt !== null) {
            throw new AirlockError('ERR_CONFLICT', 'the agent is revoked: add a new one instead');
          }
          await tx.updateAgent(principal.workspaceId, agent.id, { keyHash, rotatedAt: now });
          return { ...agent, keyHash, rotatedAt: now };
        });
        await deps.onPolicyChange();
        return [200, { agent: agentView(updated), key }];
      },
    },
    {
      method: 'POST',
      path: '/v1/agents/:name/revoke',
      action: 'agent:write',
      handle: async ({ principal, params }) => {
        const now = deps.clock.now();
        const revoked = await deps.store.transaction(async (tx) => {
          const agent = await agentNamed(tx, principal.workspaceId, pathParam(params, 'name'));
          // Revoking twice keeps the first time: it is when access ended.
          if (agent.revokedAt !== null) return agent;
          await tx.updateAgent(principal.workspaceId, agent.id, { revokedAt: now });
          return { ...agent, revokedAt: now };
        });
        await deps.onPolicyChange();
        return [200, { agent: agentView(revoked) }];
      },
    },
    {
      method: 'DELETE',
      path: '/v1/agents/:name',
      action: 'agent:write',
      handle: async ({ principal, params }) => {
        await deps.store.transaction(async (tx) => {
          const agent = await agentNamed(tx, principal.workspaceId, pathParam(params, 'name'));
          await tx.deleteAgent(principal.workspaceId, agent.id);
        });
        await deps.onPolicyChange();
        return [200, { deleted: pathParam(params, 'name') }];
      },
    },
  ];
}
