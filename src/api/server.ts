import type { IncomingMessage, ServerResponse } from 'node:http';
import { AirlockError } from '../core/index.ts';
import { recordAuthFailure, recordChange } from './audit-changes.ts';
import { type AdminPrincipal, authenticate, authorize } from './auth.ts';
import type { ApiDeps } from './deps.ts';
import { sendError, sendJson } from './http.ts';
import { type Route, Router } from './router.ts';
import { apiKeyRoutes } from './routes/apikeys.ts';
import { secretRoutes } from './routes/secrets.ts';

/** How a request reached the API: the local socket is the owner; TCP needs an API key. */
export type Transport = 'socket' | 'tcp';

/**
 * Builds the admin API request handler. `extraRoutes` lets the composition
 * root add resource groups (agents, services, …) without this file knowing them.
 */
export function createApiHandler(
  deps: ApiDeps,
  extraRoutes: readonly Route[] = [],
): (req: IncomingMessage, res: ServerResponse, transport: Transport) => void {
  const router = new Router([
    {
      method: 'GET',
      path: '/v1/status',
      action: 'status:read',
      handle: async () => [200, deps.status()],
    },
    ...secretRoutes(deps),
    ...apiKeyRoutes(deps),
    ...extraRoutes,
  ]);

  return (req, res, transport) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://airlock.invalid');
      if (url.pathname === '/healthz' && req.method === 'GET') {
        sendJson(res, 200, deps.health?.() ?? { status: 'ok' });
        return;
      }
      const { route, params } = router.match(req.method ?? '', url.pathname);
      const audit = deps.audit;
      let principal: AdminPrincipal | null = null;
      try {
        principal =
          transport === 'socket'
            ? { role: 'owner', workspaceId: deps.defaultWorkspace, keyId: null }
            : await authenticate(req, deps.store);
        authorize(principal, route.action);
      } catch (err) {
        // A refused call is on record even though it changed nothing; the
        // refusal stands whether or not the record could be written.
        if (
          audit !== undefined &&
          err instanceof AirlockError &&
          (err.code === 'ERR_UNAUTHENTICATED' || err.code === 'ERR_FORBIDDEN')
        ) {
          await recordAuthFailure(audit, req, err.code, principal).catch(() => {});
        }
        throw err;
      }
      const [status, body] = await route.handle({ req, res, principal, params });
      if (audit !== undefined && route.method !== 'GET') {
        await recordChange(audit, { route, params, principal, via: transport, status, body });
      }
      sendJson(res, status, body);
    })().catch((err: unknown) => sendError(res, err));
  };
}
