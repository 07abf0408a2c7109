import {
  type AuditLog,
  type AuditPage,
  buildAccessReview,
  isoTime,
  type LiveTokenView,
  parseAuditQuery,
  parseTime,
} from '../../audit/index.ts';
import { type AgentId, AirlockError, type WorkspaceId } from '../../core/index.ts';
import type { ApiDeps } from '../deps.ts';
import { onlyFields } from '../fields.ts';
import { readJsonBody } from '../http.ts';
import type { Route, RouteContext } from '../router.ts';

/** Longest a follower's request is held open waiting for new events. */
const MAX_WAIT_S = 25;

/** What the audit routes need beyond `ApiDeps`. */
export interface AuditRouteDeps {
  readonly audit: AuditLog;
  /** Live task tokens of an agent, when the tokens module provides them. */
  readonly liveTokens?: (ws: WorkspaceId, agent: AgentId) => Promise<readonly LiveTokenView[]>;
}

function searchParams(ctx: RouteContext): URLSearchParams {
  return new URL(ctx.req.url ?? '/', 'http://airlock.invalid').searchParams;
}

function waitSeconds(params: URLSearchParams): number {
  const wait = params.get('wait');
  if (wait === null) return 0;
  if (!/^\d{1,2}$/.test(wait) || Number(wait) > MAX_WAIT_S) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', `wait must be 0-${MAX_WAIT_S} seconds`);
  }
  return Number(wait);
}

/**
 * `GET /v1/audit`: one page of the caller's workspace. With `wait=N` and
 * nothing to return yet, holds the request until an event commits or N
 * seconds pass (long-poll), which is how `airlock audit tail -f` follows
 * without polling in a loop.
 */
async function queryRoute(deps: ApiDeps, a: AuditRouteDeps, ctx: RouteContext): Promise<AuditPage> {
  const params = searchParams(ctx);
  const query = parseAuditQuery(params, deps.clock.now());
  const deadline = Date.now() + waitSeconds(params) * 1000;
  const gone = new AbortController();
  ctx.res.once('close', () => gone.abort());
  for (;;) {
    // Take the wake-up before querying, so a commit in between is not missed.
    const remaining = deadline - Date.now();
    const woken = remaining > 0 ? a.audit.waitForCommit(remaining, gone.signal) : null;
    const page = await a.audit.query(ctx.principal.workspaceId, query);
    if (page.events.length > 0 || woken === null || gone.signal.aborted) return page;
    await woken;
  }
}

/** `/v1/audit`: query and follow, verify the chain, prune it, and the access review. */
export function auditRoutes(deps: ApiDeps, a: AuditRouteDeps): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/audit',
      action: 'audit:read',
      handle: async (ctx) => [200, await queryRoute(deps, a, ctx)],
    },
    {
      method: 'GET',
      path: '/v1/audit/verify',
      action: 'audit:read',
      handle: async () => {
        const report = await a.audit.verify();
        return [200, { ...report, publicKeyPem: a.audit.signingKey.publicKeyPem }];
      },
    },
    {
      method: 'POST',
      path: '/v1/audit/prune',
      action: 'audit:write',
      handle: async ({ req }) => {
        const body = await readJsonBody(req);
        onlyFields(body, ['before']);
        const now = deps.clock.now();
        const raw = body.before;
        const before =
          typeof raw === 'number' && Number.isSafeInteger(raw)
            ? raw
            : typeof raw === 'string'
              ? parseTime(raw, now, '"before"')
              : null;
        if (before === null) {
          throw new AirlockError('ERR_INVALID_ARGUMENT', '"before" must be a time or a duration');
        }
        if (before > now)
          throw new AirlockError('ERR_INVALID_ARGUMENT', '"before" must be in the past');
        const report = await a.audit.prune(before);
        return [200, { removed: report.removed, before: isoTime(before), base: report.base }];
      },
    },
    {
      method: 'GET',
      path: '/v1/audit/access-review',
      action: 'audit:read',
      handle: async (ctx) => {
        const params = searchParams(ctx);
        for (const key of params.keys()) {
          if (key !== 'since' && key !== 'until') {
            throw new AirlockError(
              'ERR_INVALID_ARGUMENT',
              'the access review takes since and until',
            );
          }
        }
        const now = deps.clock.now();
        const until = params.has('until')
          ? parseTime(params.get('until') ?? '', now, 'until')
          : now;
        const since = parseTime(params.get('since') ?? '30d', now, 'since');
        if (since >= until)
          throw new AirlockError('ERR_INVALID_ARGUMENT', 'since must be before until');
        const review = await buildAccessReview({
          store: deps.store,
          workspace: ctx.principal.workspaceId,
          instance: deps.instanceId,
          sinceMs: since,
          untilMs: until,
          nowMs: now,
          ...(a.liveTokens === undefined ? {} : { liveTokens: a.liveTokens }),
        });
        return [200, { review }];
      },
    },
  ];
}
