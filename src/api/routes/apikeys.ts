import type { ApiKeyId } from '../../core/index.ts';
import { AirlockError, newId } from '../../core/index.ts';
import { randomToken, sha256Hex } from '../../crypto/index.ts';
import type { ApiKeyRecord, Role } from '../../store/index.ts';
import type { ApiDeps } from '../deps.ts';
import { onlyFields, stringField } from '../fields.ts';
import { readJsonBody } from '../http.ts';
import type { Route } from '../router.ts';

const KEY_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const GRANTABLE: readonly Role[] = ['admin', 'operator', 'auditor'];

/** An API key as the API shows it: never the key or its hash. */
export function apiKeyView(k: ApiKeyRecord): Record<string, unknown> {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    createdAt: new Date(k.createdAt).toISOString(),
    revokedAt: k.revokedAt === null ? null : new Date(k.revokedAt).toISOString(),
  };
}

/** `/v1/apikeys`: create with a role (the key is shown once), list, revoke. */
export function apiKeyRoutes(deps: ApiDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/apikeys',
      action: 'apikey:read',
      handle: async ({ principal }) => [
        200,
        { apikeys: (await deps.store.listApiKeys(principal.workspaceId)).map(apiKeyView) },
      ],
    },
    {
      method: 'POST',
      path: '/v1/apikeys',
      action: 'apikey:write',
      handle: async ({ req, principal }) => {
        const body = await readJsonBody(req);
        onlyFields(body, ['name', 'role']);
        const name = stringField(body, 'name');
        const role = stringField(body, 'role');
        if (!KEY_NAME.test(name)) {
          throw new AirlockError(
            'ERR_INVALID_NAME',
            'key names start with a letter: A-Z a-z 0-9 _ . -',
          );
        }
        if (!(GRANTABLE as readonly string[]).includes(role)) {
          throw new AirlockError('ERR_INVALID_ARGUMENT', 'role must be admin, operator or auditor');
        }
        const key = randomToken(`alk_${role}_`);
        const record: ApiKeyRecord = {
          id: newId<ApiKeyId>('key'),
          workspaceId: principal.workspaceId,
          name,
          role: role as Role,
          keyHash: sha256Hex(key),
          createdAt: deps.clock.now(),
          revokedAt: null,
        };
        await deps.store.createApiKey(record);
        return [201, { apikey: apiKeyView(record), key }];
      },
    },
    {
      method: 'DELETE',
      path: '/v1/apikeys/:id',
      action: 'apikey:write',
      handle: async ({ principal, params }) => {
        const keys = await deps.store.listApiKeys(principal.workspaceId);
        const target = keys.find((k) => k.id === params.id || k.name === params.id);
        if (target === undefined) throw new AirlockError('ERR_NOT_FOUND', 'no such API key');
        await deps.store.revokeApiKey(principal.workspaceId, target.id, deps.clock.now());
        return [200, { revoked: target.id }];
      },
    },
  ];
}
