import type { ServiceId, WorkspaceId } from '../../core/index.ts';
import { AirlockError, newId } from '../../core/index.ts';
import { formatHostPattern, parseServiceSpec, type ServiceSpec } from '../../policy/index.ts';
import type { ServiceRecord, StoreOps } from '../../store/index.ts';
import type { ApiDeps } from '../deps.ts';
import { assertObjectName, noSuch, pathParam, stringField } from '../fields.ts';
import { readJsonBody } from '../http.ts';
import type { Route } from '../router.ts';

/**
 * A service as the API shows it: its name and id, then its spec in the same
 * shape `POST /v1/services` takes (hosts as `HOST:PORT` text), so a listing
 * can be posted back as is.
 */
export function serviceView(rec: ServiceRecord, spec: ServiceSpec): Record<string, unknown> {
  return {
    id: rec.id,
    name: rec.name,
    createdAt: new Date(rec.createdAt).toISOString(),
    scheme: spec.scheme,
    hosts: spec.hosts.map(formatHostPattern),
    paths: spec.paths,
    methods: spec.methods,
    auth: spec.auth,
    secret: spec.secret,
    env: spec.env,
  };
}

/**
 * Parses a stored spec again on the way out: the store holds JSON that the
 * parser wrote, so a failure here means the row was edited behind our back.
 */
export function storedSpec(rec: ServiceRecord): ServiceSpec {
  try {
    return parseServiceSpec(rec.spec);
  } catch (cause) {
    throw new AirlockError('ERR_STORE', 'a stored service definition does not parse', { cause });
  }
}

/** Finds a service by name in the caller's workspace, or throws `ERR_NOT_FOUND`. */
export async function serviceNamed(
  tx: StoreOps,
  ws: WorkspaceId,
  name: string,
): Promise<ServiceRecord> {
  const service = await tx.getServiceByName(ws, name);
  if (service === null) throw new AirlockError('ERR_NOT_FOUND', noSuch('service', name));
  return service;
}

/**
 * `/v1/services`: define, list, show, delete. A definition is validated by
 * `parseServiceSpec` (unknown fields refused, so a typo never widens access)
 * and must name a secret that exists in the same workspace. Deleting a
 * service deletes its grants.
 */
export function serviceRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/services',
      action: 'service:read',
      handle: async ({ principal }) => {
        const records = await deps.store.listServices(principal.workspaceId);
        return [200, { services: records.map((r) => serviceView(r, storedSpec(r))) }];
      },
    },
    {
      method: 'GET',
      path: '/v1/services/:name',
      action: 'service:read',
      handle: async ({ principal, params }) => {
        const rec = await serviceNamed(
          deps.store,
          principal.workspaceId,
          pathParam(params, 'name'),
        );
        return [200, { service: serviceView(rec, storedSpec(rec)) }];
      },
    },
    {
      method: 'POST',
      path: '/v1/services',
      action: 'service:write',
      handle: async ({ req, principal }) => {
        const body = await readJsonBody(req);
        const name = stringField(body, 'name');
        assertObjectName(name, 'service');
        // Every other field is the spec, whose parser refuses unknown ones.
        const { name: _, ...fields } = body;
        const spec = parseServiceSpec(fields);
        const record: ServiceRecord = {
          id: newId<ServiceId>('svc'),
          workspaceId: principal.workspaceId,
          name,
          spec,
          createdAt: deps.clock.now(),
        };
        await deps.store.transaction(async (tx) => {
          if (
            (await tx.getSecretByName(principal.workspaceId, spec.secret)) === null &&
            (await tx.getSecretRef(principal.workspaceId, spec.secret)) === null
          ) {
            // The name passed parseServiceSpec's pattern, so it is safe to echo.
            throw new AirlockError('ERR_INVALID_ARGUMENT', `no secret named ${spec.secret}`);
          }
          await tx.createService(record);
        });
        await deps.onPolicyChange();
        return [201, { service: serviceView(record, spec) }];
      },
    },
    {
      method: 'DELETE',
      path: '/v1/services/:name',
      action: 'service:write',
      handle: async ({ principal, params }) => {
        await deps.store.transaction(async (tx) => {
          const rec = await serviceNamed(tx, principal.workspaceId, pathParam(params, 'name'));
          await tx.deleteService(principal.workspaceId, rec.id);
        });
        await deps.onPolicyChange();
        return [200, { deleted: pathParam(params, 'name') }];
      },
    },
  ];
}
