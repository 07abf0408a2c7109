import type { AgentId, WorkspaceId } from '../core/index.ts';
import type { AuditActivityRow, GrantRecord, StoreOps } from '../store/index.ts';
import { toRecord } from './chain.ts';
import { isoTime } from './time.ts';

/** A live task token, as the review lists it: its `jti`, never the token. */
export interface LiveTokenView {
  readonly id: string;
  readonly task: string | null;
  readonly parent: string | null;
  readonly expiresAt: string;
}

/** One grant of an agent, with how it was used. */
export interface GrantReview {
  readonly id: string;
  readonly service: string;
  readonly methods: readonly string[] | null;
  readonly paths: readonly string[] | null;
  readonly expiresAt: string | null;
  readonly createdAt: string;
  /** Latest use on record (any time), or null if never. */
  readonly lastUsed: string | null;
  /** Requests it allowed within the window. */
  readonly usesInWindow: number;
  readonly unusedInWindow: boolean;
}

/** A refusal within the window. */
export interface DeniedAttempt {
  readonly id: string;
  readonly time: string;
  readonly code: string;
  readonly service: string | null;
  readonly destination: string | null;
}

/** One agent's access, for sign-off. */
export interface AgentReview {
  readonly id: string;
  readonly name: string;
  readonly createdAt: string;
  readonly revokedAt: string | null;
  readonly grants: readonly GrantReview[];
  readonly unusedGrants: number;
  readonly denied: {
    readonly count: number;
    readonly lastAt: string | null;
    /** Codes of the most recent refusals (up to 500), counted. */
    readonly byCode: Readonly<Record<string, number>>;
    /** The ten most recent. */
    readonly recent: readonly DeniedAttempt[];
  };
  /** Its live task tokens (not expired, not revoked), soonest expiry first. */
  readonly tokens: readonly LiveTokenView[];
}

/** The access review document (SOC 2 CC6.2/CC6.3-style periodic review), as data. */
export interface AccessReview {
  readonly version: 1;
  readonly instance: string;
  readonly workspace: string;
  readonly generatedAt: string;
  readonly window: { readonly since: string; readonly until: string };
  readonly agents: readonly AgentReview[];
}

/** Inputs to {@link buildAccessReview}. */
export interface AccessReviewInput {
  readonly store: StoreOps;
  readonly workspace: WorkspaceId;
  readonly instance: string;
  readonly sinceMs: number;
  readonly untilMs: number;
  /** When the review is made. */
  readonly nowMs: number;
  /** Overrides where live tokens come from; by default the store's tokens tables. */
  readonly liveTokens?: (ws: WorkspaceId, agent: AgentId) => Promise<readonly LiveTokenView[]>;
}

/** Whether activity row `a` counts for grant `g` of the service named `service`. */
function usesGrant(a: AuditActivityRow, g: GrantRecord, service: string): boolean {
  return (
    a.decision === 'allow' && (a.grantId === null ? a.service === service : a.grantId === g.id)
  );
}

async function deniedOf(
  input: AccessReviewInput,
  agent: AgentId,
  count: number,
  lastMs: number | null,
) {
  const rows =
    count === 0
      ? []
      : await input.store.queryAuditRows({
          workspaceId: input.workspace,
          agent,
          decision: 'deny',
          sinceMs: input.sinceMs,
          untilMs: input.untilMs,
          order: 'desc',
          limit: 500,
        });
  const byCode: Record<string, number> = Object.create(null);
  const recent: DeniedAttempt[] = [];
  for (const row of rows) {
    const e = toRecord(row).event;
    const code = 'code' in e && typeof e.code === 'string' ? e.code : 'unknown';
    byCode[code] = (byCode[code] ?? 0) + 1;
    if (recent.length < 10) {
      const dest = 'destination' in e ? e.destination : null;
      recent.push({
        id: row.id,
        time: e.time,
        code,
        service: row.service,
        destination:
          dest === null
            ? null
            : `${dest.method} ${dest.scheme}://${dest.host}:${dest.port}${dest.path ?? ''}`,
      });
    }
  }
  return { count, lastAt: lastMs === null ? null : isoTime(lastMs), byCode: { ...byCode }, recent };
}

/**
 * Builds the periodic access review of one workspace: per agent, its grants
 * with when each was last used and whether it went unused in the window,
 * its refusals in the window, and its live task tokens. Uses are
 * `proxy.request` events, matched to a grant by its id when the event names
 * one, else by agent and service.
 */
export async function buildAccessReview(input: AccessReviewInput): Promise<AccessReview> {
  const { store, workspace: ws } = input;
  const [agents, services, grants, inWindow, ever] = await Promise.all([
    store.listAgents(ws),
    store.listServices(ws),
    store.listGrants(ws),
    store.auditActivity(ws, input.sinceMs, input.untilMs),
    store.auditActivity(ws, 0, input.untilMs),
  ]);
  const serviceName = new Map(services.map((s) => [s.id as string, s.name]));
  const reviews: AgentReview[] = [];
  for (const agent of agents) {
    const mine = (rows: readonly AuditActivityRow[]) => rows.filter((a) => a.agentId === agent.id);
    const windowRows = mine(inWindow);
    const everRows = mine(ever);
    const grantReviews = grants
      .filter((g) => g.agentId === agent.id)
      .map((g): GrantReview => {
        const service = serviceName.get(g.serviceId) ?? g.serviceId;
        const uses = windowRows
          .filter((a) => usesGrant(a, g, service))
          .reduce((n, a) => n + a.count, 0);
        const last = everRows
          .filter((a) => usesGrant(a, g, service))
          .reduce((m, a) => Math.max(m, a.lastMs), -1);
        return {
          id: g.id,
          service,
          methods: g.methods,
          paths: g.paths,
          expiresAt: g.expiresAt === null ? null : isoTime(g.expiresAt),
          createdAt: isoTime(g.createdAt),
          lastUsed: last < 0 ? null : isoTime(last),
          usesInWindow: uses,
          unusedInWindow: uses === 0,
        };
      });
    const deniedRows = windowRows.filter((a) => a.decision === 'deny');
    const deniedCount = deniedRows.reduce((n, a) => n + a.count, 0);
    const deniedLast =
      deniedRows.length === 0 ? null : Math.max(...deniedRows.map((a) => a.lastMs));
    reviews.push({
      id: agent.id,
      name: agent.name,
      createdAt: isoTime(agent.createdAt),
      revokedAt: agent.revokedAt === null ? null : isoTime(agent.revokedAt),
      grants: grantReviews,
      unusedGrants: grantReviews.filter((g) => g.unusedInWindow).length,
      denied: await deniedOf(input, agent.id, deniedCount, deniedLast),
      tokens:
        input.liveTokens === undefined
          ? (await store.liveTokensOf(ws, agent.id, input.nowMs)).map((t) => ({
              id: t.jti,
              task: t.taskId,
              parent: t.parentJti,
              expiresAt: isoTime(t.expiresAt),
            }))
          : await input.liveTokens(ws, agent.id),
    });
  }
  return {
    version: 1,
    instance: input.instance,
    workspace: ws,
    generatedAt: isoTime(input.nowMs),
    window: { since: isoTime(input.sinceMs), until: isoTime(input.untilMs) },
    agents: reviews,
  };
}
