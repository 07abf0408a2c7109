import type { ApiDeps } from '../deps.ts';
import { onlyFields, stringField } from '../fields.ts';
import { readJsonBody } from '../http.ts';
import type { Route } from '../router.ts';

/**
 * `/v1/secrets`: create, list metadata, rotate, delete. No route returns a
 * value: values go in and never come out.
 */
export function secretRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/secrets',
      action: 'secret:read',
      handle: async ({ principal }) => [
        200,
        { secrets: await deps.vault.list(principal.workspaceId) },
      ],
    },
    {
      method: 'POST',
      path: '/v1/secrets',
      action: 'secret:write',
      handle: async ({ req, principal }) => {
        const body = await readJsonBody(req);
        onlyFields(body, ['name', 'value']);
        const meta = await deps.vault.create(
          principal.workspaceId,
          stringField(body, 'name'),
          stringField(body, 'value'),
        );
        return [201, { secret: meta }];
      },
    },
    {
      method: 'GET',
      path: '/v1/secrets/:name',
      action: 'secret:read',
      handle: async ({ principal, params }) => [
        200,
        { secret: await deps.vault.get(principal.workspaceId, params.name) },
      ],
    },
    {
      method: 'POST',
      path: '/v1/secrets/:name/rotate',
      action: 'secret:write',
      handle: async ({ req, principal, params }) => {
        const body = await readJsonBody(req);
        onlyFields(body, ['value']);
        const meta = await deps.vault.rotate(
          principal.workspaceId,
          params.name,
          stringField(body, 'value'),
        );
        return [200, { secret: meta }];
      },
    },
    {
      method: 'DELETE',
      path: '/v1/secrets/:name',
      action: 'secret:write',
      handle: async ({ principal, params }) => {
        await deps.vault.remove(principal.workspaceId, params.name);
        return [200, { deleted: params.name }];
      },
    },
  ];
}
