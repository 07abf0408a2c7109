import type { AgentId, WorkspaceId } from '../core/index.ts';
import { AirlockError } from '../core/index.ts';
import { sha256Hex } from '../crypto/index.ts';
import type { StoreOps } from '../store/index.ts';
import { loadTokenAgent } from './agents.ts';
import type { VerifiedToken } from './claims.ts';
import { type ActorRef, AGENT_KEY_TOKEN_TYPE, type ExchangeContext } from './oauth.ts';
import type { TaskTokens } from './service.ts';
import type { TokenAgent } from './types.ts';

/**
 * The agent lookups an exchange needs, read from the store (the admin API is
 * not the request path). An `actor_token` proves the sub-agent: its own
 * task token (of the same task) or its agent key; an `actor` names it.
 */
export function storeExchangeContext(
  store: StoreOps,
  tokens: TaskTokens,
  workspaceId: WorkspaceId,
  caller: AgentId | null,
): ExchangeContext {
  const byId = (id: AgentId) => loadTokenAgent(store, workspaceId, { id });
  return {
    workspaceId,
    caller,
    agentById: byId,
    async resolveActor(ref: ActorRef, subject: VerifiedToken): Promise<TokenAgent> {
      let found: TokenAgent | null;
      if (ref.kind === 'name') {
        found = await loadTokenAgent(store, workspaceId, { name: ref.name });
      } else if (ref.type === AGENT_KEY_TOKEN_TYPE) {
        const rec = await store.getAgentByKeyHash(sha256Hex(ref.token));
        found = rec === null || rec.workspaceId !== workspaceId ? null : await byId(rec.id);
      } else {
        const actor = tokens.verify(ref.token, { workspaceId });
        found = actor.claims.task === subject.claims.task ? await byId(actor.claims.sub) : null;
      }
      if (found === null) throw new AirlockError('ERR_NOT_FOUND', 'the actor is not a live agent');
      return found;
    },
  };
}
