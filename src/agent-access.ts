import type { AgentId } from './core/index.ts';
import { AirlockError, isAirlockError } from './core/index.ts';
import {
  type Binding,
  formatAuthority,
  formatScope,
  parseServiceSpec,
  type Scope,
  scopeBindings,
} from './policy/index.ts';
import type { AgentPrincipal, InternalEndpoints, ProxyDeps } from './proxy/index.ts';
import type { PolicySnapshot } from './snapshot.ts';
import type { Store } from './store/index.ts';
import {
  type Actor,
  exchangeResponse,
  exchangeToken,
  oauthError,
  parseExchangeForm,
  readFormBody,
  storeExchangeContext,
  type TaskTokens,
} from './tokens/index.ts';

/** What the proxy's agent side is built from. */
export interface AgentAccessDeps {
  readonly snapshot: PolicySnapshot;
  readonly tokens: TaskTokens;
  readonly store: Store;
  /** Records a successful agent-side exchange; the token is answered only once it resolves. */
  readonly onExchanged?: (
    principal: AgentPrincipal,
    body: Record<string, unknown>,
  ) => Promise<void>;
}

/** A compact JWS has exactly two dots; agent keys (`alk_agent_…`) have none. */
function isTaskToken(key: string): boolean {
  const first = key.indexOf('.');
  return first > 0 && key.indexOf('.', first + 1) > first && key.split('.').length === 3;
}

function revoked(): AirlockError {
  return new AirlockError('ERR_TOKEN_REVOKED', 'the token has been revoked');
}

function chainOf(act: Actor): string[] {
  const out: string[] = [];
  for (let a: Actor | undefined = act; a !== undefined; a = a.act) out.push(a.sub);
  return out;
}

/**
 * The proxy's `authenticate`, `bindings` and `airlock.internal` endpoints
 * over the policy snapshot and the task tokens, all from memory:
 *
 * - an agent key authenticates through the snapshot, as before;
 * - a task token is verified (`TaskTokens.verify`: signature, claims,
 *   expiry, revocation of it or any ancestor); its holder and every agent
 *   in its `act` chain must still be live, else it is revoked: revoking or
 *   deleting an agent cuts off every token it handed down;
 * - a forged or malformed token is null (407, which says nothing), an
 *   expired or revoked one throws, so an open tunnel gets 401 with the code;
 * - the bindings of a token holder are its agent's narrowed to the token's
 *   scope (`scopeBindings`), never the agent's wider grants.
 */
export function agentAccess(
  deps: AgentAccessDeps,
): Pick<ProxyDeps, 'authenticate' | 'bindings'> & { internal: InternalEndpoints } {
  const { snapshot, tokens, store } = deps;
  const narrowed = new WeakMap<Scope, { base: readonly Binding[]; out: readonly Binding[] }>();

  const authenticate = (key: string): AgentPrincipal | null => {
    if (!isTaskToken(key)) return snapshot.authenticate(key);
    let verified: ReturnType<TaskTokens['verify']>;
    try {
      verified = tokens.verify(key);
    } catch (err) {
      if (isAirlockError(err, 'ERR_TOKEN_REVOKED') || isAirlockError(err, 'ERR_TOKEN_EXPIRED')) {
        throw err;
      }
      return null;
    }
    const c = verified.claims;
    const agent = snapshot.agent(c.sub);
    if (agent === null || agent.workspaceId !== c.ws) throw revoked();
    const chain = chainOf(c.act);
    for (const sub of chain) {
      if (sub.startsWith('agt_') && snapshot.agent(sub as AgentId) === null) throw revoked();
    }
    return {
      ...agent,
      task: {
        taskId: c.task,
        jti: c.jti,
        scope: verified.scope,
        expiresAt: c.exp * 1000,
        chain,
      },
    };
  };

  const bindings = (principal: AgentPrincipal): readonly Binding[] => {
    const base = snapshot.bindings(principal);
    const task = principal.task;
    if (task === undefined) return base;
    const memo = narrowed.get(task.scope);
    if (memo !== undefined && memo.base === base) return memo.out;
    const out = scopeBindings(base, task.scope);
    narrowed.set(task.scope, { base, out });
    return out;
  };

  const internal: InternalEndpoints = {
    jwks: () => tokens.jwks(),
    readForm: (req) => readFormBody(req),
    async exchange(principal, form) {
      try {
        const parsed = parseExchangeForm(form);
        const ctx = storeExchangeContext(store, tokens, principal.workspaceId, principal.agentId);
        const body = exchangeResponse(await exchangeToken(tokens, parsed, ctx));
        await deps.onExchanged?.(principal, body);
        return [200, body];
      } catch (err) {
        const { status, body } = oauthError(err);
        return [status, body];
      }
    },
    async revoke(principal, form) {
      // RFC 7009 §2.2: an invalid or unknown token is answered 200 all the same.
      const token = form.get('token');
      if (token === null || token === '') {
        return [
          400,
          {
            error: 'invalid_request',
            error_description: 'token is required',
            code: 'ERR_INVALID_ARGUMENT',
          },
        ];
      }
      let claims: ReturnType<TaskTokens['verify']>['claims'];
      try {
        claims = tokens.verify(token, { workspaceId: principal.workspaceId, lenient: true }).claims;
      } catch {
        return [200, {}];
      }
      const held = principal.task?.jti;
      if (held === undefined || (claims.jti !== held && !claims.anc.includes(held))) {
        return [
          403,
          {
            error: 'unauthorized_client',
            error_description: 'only a token you hold, or one derived from it',
            code: 'ERR_FORBIDDEN',
          },
        ];
      }
      await tokens.revoke(principal.workspaceId, { kind: 'token', jti: claims.jti });
      return [200, {}];
    },
    async whoami(principal) {
      const t = principal.task;
      return {
        agent: principal.agentName,
        agentId: principal.agentId,
        task: t?.taskId ?? null,
        jti: t?.jti ?? null,
        scope: t === undefined ? null : formatScope(t.scope),
        expiresAt: t === undefined ? null : new Date(t.expiresAt).toISOString(),
        chain: (t?.chain ?? []).map((sub) => {
          const agent = sub.startsWith('agt_') ? snapshot.agent(sub as AgentId) : null;
          return agent === null ? { sub } : { sub, agent: agent.agentName };
        }),
      };
    },
    async services(principal) {
      const specs = new Map(
        (await store.listServices(principal.workspaceId)).map((s) => [s.name, s.spec]),
      );
      return {
        services: bindings(principal).map((b) => {
          const spec = specs.get(b.serviceName);
          return {
            service: b.serviceName,
            scheme: b.scheme,
            hosts: b.hosts.map((h) => formatAuthority(h.pattern, h.port)),
            methods: b.methods,
            paths: b.pathSets,
            env: spec === undefined ? null : parseServiceSpec(spec).env,
          };
        }),
      };
    },
  };

  return { authenticate, bindings, internal };
}
