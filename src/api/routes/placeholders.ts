import { AirlockError, type WorkspaceId } from '../../core/index.ts';
import { parseScope, parseServiceSpec } from '../../policy/index.ts';
import { mintTaskPlaceholders, type PlaceholderTable } from '../../run/index.ts';
import type { StoreOps, TaskRecord } from '../../store/index.ts';
import type { ApiDeps } from '../deps.ts';
import type { Route } from '../router.ts';

/** What placeholder minting needs beyond the API's deps: the proxy's in-memory table. */
export interface PlaceholderRouteDeps {
  readonly table: PlaceholderTable;
}

/** One service a task may call, with the secret it uses and the variable that carries its placeholder. */
interface TaskService {
  readonly service: string;
  readonly secret: string;
  readonly env: string | null;
}

/** The services a task's scope names, in scope order; a service deleted since is skipped. */
async function taskServices(
  store: StoreOps,
  ws: WorkspaceId,
  task: TaskRecord,
): Promise<TaskService[]> {
  const out: TaskService[] = [];
  const seen = new Set<string>();
  for (const entry of parseScope(task.scope)) {
    if (seen.has(entry.service)) continue;
    seen.add(entry.service);
    const rec = await store.getServiceByName(ws, entry.service);
    if (rec === null) continue;
    const spec = parseServiceSpec(rec.spec);
    out.push({ service: rec.name, secret: spec.secret, env: spec.env });
  }
  return out;
}

/**
 * Sealed placeholders on the admin API (`airlock run`, `airlock env`):
 * `POST /v1/tasks/:id/placeholders` mints one placeholder per secret the
 * task's scope can use, stores their hashes, hands them to the proxy, and
 * answers each service with its secret, its `--env` variable and the
 * placeholder. The texts are returned this once; a second call for the
 * same task is `ERR_CONFLICT`. A task that was revoked or has expired is
 * `ERR_TOKEN_REVOKED` or `ERR_TOKEN_EXPIRED`.
 */
export function placeholderRoutes(deps: ApiDeps, extra: PlaceholderRouteDeps): Route[] {
  return [
    {
      method: 'POST',
      path: '/v1/tasks/:id/placeholders',
      action: 'token:write',
      handle: async ({ params, principal }) => {
        const ws = principal.workspaceId;
        const now = deps.clock.now();
        const task = await deps.store.getTask(ws, params.id ?? '');
        if (task === null) throw new AirlockError('ERR_NOT_FOUND', 'no such task');
        if (task.revokedAt !== null) {
          throw new AirlockError('ERR_TOKEN_REVOKED', 'the task has been revoked');
        }
        if (task.expiresAt <= now)
          throw new AirlockError('ERR_TOKEN_EXPIRED', 'the task has ended');
        const services = await taskServices(deps.store, ws, task);
        const minted = await mintTaskPlaceholders(
          deps.store,
          extra.table,
          { workspaceId: ws, id: task.id, expiresAt: task.expiresAt },
          services.map((s) => s.secret),
          now,
        );
        const bySecret = new Map(minted.map((m) => [m.secret, m.placeholder]));
        return [
          201,
          {
            task: task.id,
            expiresAt: new Date(task.expiresAt).toISOString(),
            placeholders: services.map((s) => ({ ...s, placeholder: bySecret.get(s.secret) })),
          },
        ];
      },
    },
  ];
}
