import type { AuditContext } from './build.ts';
import { scrubText } from './guard.ts';
import type { AuditActor, AuditLink, TaskAuditEvent, TokenAuditEvent } from './schema.ts';

/** An RFC 8693 §4.1 `act` claim: the actor's `sub`, and the actor before it. */
export interface ActClaim {
  readonly sub: string;
  readonly act?: ActClaim;
}

/** Deepest chain recorded; the tokens module caps delegation well below this. */
const MAX_LINKS = 32;

function link(sub: string, tokenId: string | null): AuditLink {
  const id = scrubText(sub);
  if (sub.startsWith('user:')) return { type: 'user', id, name: scrubText(sub.slice(5)), tokenId };
  if (sub.startsWith('agt_')) return { type: 'agent', id, name: null, tokenId };
  return { type: 'user', id, name: null, tokenId };
}

/**
 * The delegation chain of a token, oldest first: the `act` nesting unrolled
 * (RFC 8693 nests the most recent actor outermost, the user who began the
 * task innermost), then the holder (`sub`) itself. A task token for agent A
 * started for alice gives `user:alice → A`; A's token exchanged for
 * sub-agent B gives `user:alice → A → B`.
 */
export function chainFromAct(
  act: ActClaim | null,
  holder: {
    readonly id: string | null;
    readonly name: string | null;
    readonly tokenId: string | null;
  },
): AuditLink[] {
  const subs: string[] = [];
  for (
    let a: ActClaim | undefined = act ?? undefined;
    a !== undefined && subs.length < MAX_LINKS;
    a = a.act
  ) {
    subs.push(a.sub);
  }
  const chain = subs.reverse().map((sub) => link(sub, null));
  chain.push({
    type: 'agent',
    id: holder.id === null ? null : scrubText(holder.id),
    name: holder.name === null ? null : scrubText(holder.name),
    tokenId: holder.tokenId,
  });
  return chain;
}

interface Common {
  readonly workspace: string;
  readonly actor: AuditActor;
  readonly chain: readonly AuditLink[];
}

function base(ctx: AuditContext, f: Common) {
  return {
    v: 1 as const,
    time: new Date(ctx.clock.now()).toISOString(),
    instance: ctx.instance,
    workspace: f.workspace,
    actor: f.actor,
    chain: f.chain,
  };
}

const orNull = (text: string | null): string | null => (text === null ? null : scrubText(text));

/** `task.started` or `task.ended`. */
export function taskEvent(
  ctx: AuditContext,
  kind: TaskAuditEvent['kind'],
  f: Common & { readonly task: { readonly id: string; readonly name: string | null } },
): TaskAuditEvent {
  return { ...base(ctx, f), kind, task: { id: scrubText(f.task.id), name: orNull(f.task.name) } };
}

/** `token.issued`, `token.exchanged` or `token.revoked`. Never the token itself: its `jti` only. */
export function tokenEvent(
  ctx: AuditContext,
  kind: TokenAuditEvent['kind'],
  f: Common & { readonly token: TokenAuditEvent['token'] },
): TokenAuditEvent {
  const t = f.token;
  return {
    ...base(ctx, f),
    kind,
    token: {
      id: orNull(t.id),
      parent: orNull(t.parent),
      agent: orNull(t.agent),
      expiresAt: orNull(t.expiresAt),
      scope: t.scope === null ? null : t.scope.slice(0, 64).map(scrubText),
      cascade: t.cascade,
    },
  };
}
