import type { IncomingMessage } from 'node:http';
import type { AgentId, GrantId, ServiceId } from '../../core/index.ts';
import { AirlockError, newId } from '../../core/index.ts';
import { validateGrantNarrowing } from '../../policy/index.ts';
import type { GrantRecord } from '../../store/index.ts';
import type { ApiDeps } from '../deps.ts';
import { isoOrNull, noSuch, onlyFields, pathParam, stringField } from '../fields.ts';
import { readJsonBody } from '../http.ts';
import type { Route } from '../router.ts';
import { storedSpec } from './services.ts';

/** ISO-8601 date-time with an explicit zone, so a time never depends on the server's locale. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A grant as the API shows it, naming its agent and service. */
function grantView(g: GrantRecord, agent: string, service: string): Record<string, unknown> {
  return {
    id: g.id,
    agent,
    service,
    methods: g.methods,
    paths: g.paths,
    expiresAt: isoOrNull(g.expiresAt),
    createdAt: new Date(g.createdAt).toISOString(),
  };
}

/**
 * Reads `expiresAt`: absent or null for no expiry, an ISO-8601 time with a
 * zone, or milliseconds since the epoch. It must lie after `now`: a grant
 * born expired is a mistake, not a policy.
 */
function parseExpiry(value: unknown, now: number): number | null {
  if (value === undefined || value === null) return null;
  let ms: number;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) ms = value;
  else if (typeof value === 'string' && ISO_TIME.test(value)) ms = Date.parse(value);
  else {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      '"expiresAt" must be an ISO-8601 time with a zone (2030-01-01T00:00:00Z) or epoch milliseconds',
    );
  }
  if (!Number.isFinite(ms))
    throw new AirlockError('ERR_INVALID_ARGUMENT', '"expiresAt" is not a valid time');
  if (ms <= now) throw new AirlockError('ERR_INVALID_ARGUMENT', '"expiresAt" is in the past');
  return ms;
}

/** Reads the `?agent=` and `?service=` filters; any other query parameter is refused. */
function listFilter(req: IncomingMessage): { agent: string | null; service: string | null } {
  const query = new URL(req.url ?? '/', 'http://airlock.invalid').searchParams;
  for (const key of query.keys()) {
    if (key !== 'agent' && key !== 'service') {
      throw new AirlockError('ERR_INVALID_ARGUMENT', 'grants filter only by agent and service');
    }
  }
  return { agent: query.get('agent'), service: query.get('service') };
}

/** The id whose name is `wanted` (null when not filtering), or `ERR_NOT_FOUND`. */
function idNamed<K extends string>(
  names: ReadonlyMap<K, string>,
  wanted: string | null,
  what: string,
): K | null {
  if (wanted === null) return null;
  for (const [id, name] of names) if (name === wanted) return id;
  throw new AirlockError('ERR_NOT_FOUND', noSuch(what, wanted));
}

/**
 * `/v1/grants`: grant an agent a service, narrowed by methods, path patterns
 * and an expiry; list; delete. `validateGrantNarrowing` refuses any grant
 * wider than its service (invariant 3, "never widens").
 */
export function grantRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/grants',
      action: 'grant:read',
      handle: async ({ req, principal }) => {
        const filter = listFilter(req);
        const ws = principal.workspaceId;
        const grants = await deps.store.transaction(async (tx) => {
          const agents = new Map<AgentId, string>();
          const services = new Map<ServiceId, string>();
          for (const a of await tx.listAgents(ws)) agents.set(a.id, a.name);
          for (const s of await tx.listServices(ws)) services.set(s.id, s.name);
          const agentId = idNamed(agents, filter.agent, 'agent');
          const serviceId = idNamed(services, filter.service, 'service');
          const rows = await tx.listGrants(ws, {
            ...(agentId === null ? {} : { agentId }),
            ...(serviceId === null ? {} : { serviceId }),
          });
          return rows.map((g) =>
            grantView(g, agents.get(g.agentId) ?? '?', services.get(g.serviceId) ?? '?'),
          );
        });
        return [200, { grants }];
      },
    },
    {
      method: 'POST',
      path: '/v1/grants',
      action: 'grant:write',
      handle: async ({ req, principal }) => {
        const body = await readJsonBody(req);
        onlyFields(body, ['agent', 'service', 'methods', 'paths', 'expiresAt']);
        const agentName = stringField(body, 'agent');
        const serviceName = stringField(body, 'service');
        const now = deps.clock.now();
        const expiresAt = parseExpiry(body.expiresAt, now);
        const ws = principal.workspaceId;
        const record = await deps.store.transaction(async (tx) => {
          const agent = await tx.getAgentByName(ws, agentName);
          if (agent === null)
            throw new AirlockError('ERR_INVALID_ARGUMENT', noSuch('agent', agentName));
          if (agent.revokedAt !== null) {
            throw new AirlockError('ERR_CONFLICT', `agent ${agent.name} is revoked`);
          }
          const service = await tx.getServiceByName(ws, serviceName);
          if (service === null) {
            throw new AirlockError('ERR_INVALID_ARGUMENT', noSuch('service', serviceName));
          }
          const limits = validateGrantNarrowing(storedSpec(service), {
            methods: body.methods,
            paths: body.paths,
          });
          const grant: GrantRecord = {
            id: newId<GrantId>('grt'),
            workspaceId: ws,
            agentId: agent.id,
            serviceId: service.id,
            methods: limits.methods,
            paths: limits.paths,
            expiresAt,
            createdAt: now,
          };
          await tx.createGrant(grant);
          return grant;
        });
        await deps.onPolicyChange();
        return [201, { grant: grantView(record, agentName, serviceName) }];
      },
    },
    {
      method: 'DELETE',
      path: '/v1/grants/:id',
      action: 'grant:write',
      handle: async ({ principal, params }) => {
        const deleted = await deps.store.deleteGrant(
          principal.workspaceId,
          pathParam(params, 'id') as GrantId,
        );
        if (!deleted) throw new AirlockError('ERR_NOT_FOUND', 'no such grant');
        await deps.onPolicyChange();
        return [200, { deleted: pathParam(params, 'id') }];
      },
    },
  ];
}
