import type { IncomingMessage, ServerResponse } from 'node:http';
import type { WorkspaceId } from '../../core/index.ts';
import { AirlockError } from '../../core/index.ts';
import { formatScope } from '../../policy/index.ts';
import type { RevocationTarget, StoreOps } from '../../store/index.ts';
import {
  exchangeResponse,
  exchangeToken,
  loadTokenAgent,
  oauthError,
  parseExchangeForm,
  parseTtl,
  readFormBody,
  storeExchangeContext,
  type TaskTokens,
  type TokenAgent,
} from '../../tokens/index.ts';
import type { AdminPrincipal } from '../auth.ts';
import type { ApiDeps } from '../deps.ts';
import { noSuch, onlyFields, optionalStringField, stringField } from '../fields.ts';
import { readJsonBody, sendJson } from '../http.ts';
import type { Route } from '../router.ts';

/** Who a task is for when `onBehalfOf` is not given: the admin principal that started it. */
const USER = /^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,127}$/;

function principalLabel(p: AdminPrincipal): string {
  return p.keyId === null ? 'owner' : p.keyId;
}

function scopeField(body: Record<string, unknown>): string[] | null {
  const v = body.scope;
  if (v === undefined || v === null) return null;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((s) => typeof s === 'string')) {
    throw new AirlockError('ERR_INVALID_SCOPE', '"scope" must be a SPEC string or a list of them');
  }
  return list as string[];
}

async function liveAgent(store: StoreOps, ws: WorkspaceId, name: string): Promise<TokenAgent> {
  const agent = await loadTokenAgent(store, ws, { name });
  if (agent === null) throw new AirlockError('ERR_NOT_FOUND', noSuch('agent', name));
  return agent;
}

/** Reads the one revocation target of `airlock revoke`. */
async function revocationTarget(
  deps: ApiDeps,
  ws: WorkspaceId,
  body: Record<string, unknown>,
): Promise<RevocationTarget> {
  onlyFields(body, ['token', 'task', 'agent']);
  const token = optionalStringField(body, 'token');
  const task = optionalStringField(body, 'task');
  const agent = optionalStringField(body, 'agent');
  const given = [token, task, agent].filter((v) => v !== null).length;
  if (given !== 1) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', 'give exactly one of "token", "task", "agent"');
  }
  if (token !== null) return { kind: 'token', jti: token };
  if (task !== null) {
    if ((await deps.store.getTask(ws, task)) === null) {
      throw new AirlockError('ERR_NOT_FOUND', 'no such task');
    }
    return { kind: 'task', taskId: task };
  }
  const rec = await deps.store.getAgentByName(ws, agent ?? '');
  if (rec === null) throw new AirlockError('ERR_NOT_FOUND', noSuch('agent', agent ?? ''));
  return { kind: 'agent', agentId: rec.id };
}

/**
 * Task tokens on the admin API:
 * - `POST /v1/tasks` starts a task (`airlock task start`);
 * - `POST /v1/revocations` revokes a token by `jti` (with its descendants),
 *   a task, or an agent's tokens (`airlock revoke`);
 * - `POST /v1/oauth/token` is RFC 8693 token exchange, answering §2.2.1 or
 *   an RFC 6749 §5.2 error with Airlock's `code` alongside;
 * - `POST /v1/oauth/revoke` is RFC 7009 revocation of a presented token;
 * - `POST /v1/keys/signing/rotate` adds a new signing key.
 */
export function taskRoutes(deps: ApiDeps, tokens: TaskTokens): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/tasks',
      action: 'token:write',
      handle: async ({ req, principal }) => {
        const body = await readJsonBody(req);
        onlyFields(body, ['agent', 'scope', 'ttl', 'onBehalfOf']);
        const ws = principal.workspaceId;
        const agent = await liveAgent(deps.store, ws, stringField(body, 'agent'));
        const onBehalfOf = optionalStringField(body, 'onBehalfOf') ?? principalLabel(principal);
        if (!USER.test(onBehalfOf)) {
          throw new AirlockError(
            'ERR_INVALID_ARGUMENT',
            '"onBehalfOf" is a user name: a letter or digit, then up to 127 of A-Z a-z 0-9 _ . @ + -',
          );
        }
        const issued = await tokens.startTask({
          workspaceId: ws,
          agent,
          scope: scopeField(body),
          ttlSeconds: parseTtl(body.ttl),
          onBehalfOf,
        });
        return [
          201,
          {
            token: issued.token,
            task: {
              id: issued.taskId,
              agent: agent.name,
              onBehalfOf,
              scope: formatScope(issued.scope),
              expiresAt: new Date(issued.claims.exp * 1000).toISOString(),
            },
            jti: issued.claims.jti,
            expiresIn: issued.expiresIn,
          },
        ];
      },
    },
    {
      method: 'POST',
      path: '/v1/revocations',
      action: 'token:write',
      handle: async ({ req, principal }) => {
        const ws = principal.workspaceId;
        const target = await revocationTarget(deps, ws, await readJsonBody(req));
        const reached = await tokens.revoke(ws, target);
        return [200, { revoked: reached.length }];
      },
    },
    {
      method: 'POST',
      path: '/v1/oauth/token',
      action: 'token:write',
      handle: async ({ req, principal }) => {
        try {
          const form = parseExchangeForm(await readFormBody(req));
          const ctx = storeExchangeContext(deps.store, tokens, principal.workspaceId, null);
          return [200, exchangeResponse(await exchangeToken(tokens, form, ctx))];
        } catch (err) {
          const { status, body } = oauthError(err);
          return [status, body];
        }
      },
    },
    {
      method: 'POST',
      path: '/v1/oauth/revoke',
      action: 'token:write',
      handle: async ({ req, principal }) => {
        const form = await readFormBody(req);
        const token = form.get('token');
        if (token === null || token === '') {
          const { status, body } = oauthError(
            new AirlockError('ERR_BAD_REQUEST', 'token is required'),
          );
          return [status, body];
        }
        // RFC 7009 §2.2: 200 whether or not there was anything to revoke.
        await tokens.revokePresented(principal.workspaceId, token);
        return [200, {}];
      },
    },
    {
      method: 'POST',
      path: '/v1/keys/signing/rotate',
      action: 'signing-key:write',
      handle: async () => [200, { kid: await tokens.rotateSigningKey() }],
    },
  ];
}

/**
 * Serves `GET /.well-known/jwks.json` (RFC 8414 §2 `jwks_uri`, RFC 7517 §5)
 * without authentication: public keys are public. Returns false for any
 * other request, which then goes to the API handler.
 */
export function serveJwks(tokens: TaskTokens, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/.well-known/jwks.json') {
    return false;
  }
  sendJson(res, 200, tokens.jwks());
  return true;
}
