import { applyConfig, exportConfig, parseConfigDocument, parseYaml } from '../../apply/index.ts';
import { AirlockError } from '../../core/index.ts';
import { authorize } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { onlyFields, stringField } from '../fields.ts';
import { readJsonBody } from '../http.ts';
import type { Route } from '../router.ts';
import type { SourceDeps } from './sources.ts';

/**
 * `POST /v1/apply` and `GET /v1/export`: configuration as code. Apply
 * parses and checks the whole file first (errors name the line), then makes
 * the workspace match it in one transaction; it needs every write
 * permission it may use, and `provider:write` when the file changes
 * providers. Export writes the same format back.
 */
export function applyRoutes(deps: ApiDeps, sources: SourceDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/apply',
      action: 'secret:write',
      handle: async ({ req, principal }) => {
        for (const a of ['service:write', 'agent:write', 'grant:write'] as const)
          authorize(principal, a);
        const body = await readJsonBody(req);
        onlyFields(body, ['source', 'dryRun']);
        const dryRun = body.dryRun === true;
        if (body.dryRun !== undefined && typeof body.dryRun !== 'boolean') {
          throw new AirlockError('ERR_INVALID_ARGUMENT', '"dryRun" must be a boolean');
        }
        const doc = parseConfigDocument(parseYaml(stringField(body, 'source')));
        const ws = principal.workspaceId;
        const result = await applyConfig(deps.store, ws, doc, deps.clock.now(), {
          dryRun,
          approve: (changes) => {
            // An exec provider runs a program as the server: only its declarers may change one.
            if (changes.some((c) => c.kind === 'provider')) authorize(principal, 'provider:write');
          },
        });
        if (!dryRun && result.changes.length > 0) {
          await deps.onPolicyChange();
          await sources.onSourcesChange();
        }
        return [200, { changes: result.changes, agentKeys: result.agentKeys, dryRun }];
      },
    },
    {
      method: 'GET',
      path: '/v1/export',
      action: 'secret:read',
      handle: async ({ principal }) => {
        for (const a of ['service:read', 'agent:read', 'grant:read'] as const)
          authorize(principal, a);
        return [200, { yaml: await exportConfig(deps.store, principal.workspaceId) }];
      },
    },
  ];
}
