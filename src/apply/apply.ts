import type { AgentId, GrantId, ServiceId, WorkspaceId } from '../core/index.ts';
import { AirlockError, newId } from '../core/index.ts';
import { randomToken, sha256Hex } from '../crypto/index.ts';
import { parseServiceSpec } from '../policy/index.ts';
import type { Store, StoreOps } from '../store/index.ts';
import { parseExecProvider } from '../vault/index.ts';
import type { ConfigDocument, DeclaredGrant } from './schema.ts';

/** One change `apply` makes (or, with `dryRun`, would make). */
export interface Change {
  readonly action: 'create' | 'update' | 'delete';
  readonly kind: 'provider' | 'secret' | 'service' | 'agent' | 'grant';
  readonly name: string;
}

/** What `applyConfig` did: the changes, and the key of each agent it created (shown once). */
export interface ApplyResult {
  readonly changes: readonly Change[];
  readonly agentKeys: readonly { readonly name: string; readonly key: string }[];
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
        )
      : v,
  );
}

function grantKey(g: DeclaredGrant): string {
  return canonical([g.agent, g.service, g.methods, g.paths, g.expiresAt]);
}

function invalid(why: string): AirlockError {
  return new AirlockError('ERR_APPLY_INVALID', why);
}

/**
 * Makes the workspace's providers, secret references, services, agents and
 * grants match `doc`, in one transaction: everything commits or nothing
 * does. Objects the file does not name are deleted (stored secret values
 * are never touched: the file names them, it cannot hold them). A changed
 * service is replaced, which drops its grants; the file's grants are then
 * re-created. Applying the same file again changes nothing. `approve` sees
 * the changes before they commit and may throw to refuse them all; with
 * `dryRun` the transaction is rolled back after planning.
 */
export async function applyConfig(
  store: Store,
  ws: WorkspaceId,
  doc: ConfigDocument,
  now: number,
  options: { readonly dryRun: boolean; readonly approve?: (changes: readonly Change[]) => void },
): Promise<ApplyResult> {
  const changes: Change[] = [];
  const agentKeys: { name: string; key: string }[] = [];
  const rollback = new Error('dry run');
  try {
    await store.transaction(async (tx) => {
      await syncProviders(tx, ws, doc, now, changes);
      await syncSecrets(tx, ws, doc, now, changes);
      const replaced = await syncServices(tx, ws, doc, now, changes);
      await syncAgents(tx, ws, doc, now, changes, agentKeys);
      await syncGrants(tx, ws, doc, now, changes, replaced);
      options.approve?.(changes);
      if (options.dryRun) throw rollback;
    });
  } catch (err) {
    if (err !== rollback) throw err;
    return { changes, agentKeys: [] };
  }
  return { changes, agentKeys };
}

async function syncProviders(
  tx: StoreOps,
  ws: WorkspaceId,
  doc: ConfigDocument,
  now: number,
  changes: Change[],
) {
  const existing = new Map((await tx.listProviders(ws)).map((p) => [p.name, p]));
  for (const [name, spec] of doc.providers) {
    const old = existing.get(name);
    let same = false;
    try {
      same = old !== undefined && canonical(parseExecProvider(old.spec)) === canonical(spec);
    } catch {
      same = false;
    }
    if (same) continue;
    await tx.putProvider({ workspaceId: ws, name, spec, createdAt: now, updatedAt: now });
    changes.push({ action: old === undefined ? 'create' : 'update', kind: 'provider', name });
  }
  for (const name of existing.keys()) {
    if (doc.providers.has(name)) continue;
    await tx.deleteProvider(ws, name);
    changes.push({ action: 'delete', kind: 'provider', name });
  }
}

async function syncSecrets(
  tx: StoreOps,
  ws: WorkspaceId,
  doc: ConfigDocument,
  now: number,
  changes: Change[],
) {
  const refs = new Map((await tx.listSecretRefs(ws)).map((r) => [r.name, r.ref]));
  const stored = new Set((await tx.listSecrets(ws)).map((s) => s.name));
  for (const [name, secret] of doc.secrets) {
    if (secret.kind === 'stored') {
      if (!stored.has(name)) {
        throw invalid(
          `secrets.${name}: no stored secret named ${name} (store it with \`airlock secret set ${name}\`)`,
        );
      }
      continue;
    }
    if (stored.has(name)) {
      throw invalid(
        `secrets.${name}: ${name} is a stored secret; delete it before making it a reference`,
      );
    }
    if (refs.get(name) === secret.ref) continue;
    await tx.putSecretRef({
      workspaceId: ws,
      name,
      ref: secret.ref,
      createdAt: now,
      updatedAt: now,
    });
    changes.push({ action: refs.has(name) ? 'update' : 'create', kind: 'secret', name });
  }
  for (const name of refs.keys()) {
    if (doc.secrets.has(name)) continue;
    await tx.deleteSecretRef(ws, name);
    changes.push({ action: 'delete', kind: 'secret', name });
  }
}

/** Returns the names of services replaced (their old grants went with them). */
async function syncServices(
  tx: StoreOps,
  ws: WorkspaceId,
  doc: ConfigDocument,
  now: number,
  changes: Change[],
) {
  const replaced = new Set<string>();
  const existing = new Map((await tx.listServices(ws)).map((s) => [s.name, s]));
  for (const [name, spec] of doc.services) {
    const old = existing.get(name);
    let same = false;
    try {
      same = old !== undefined && canonical(parseServiceSpec(old.spec)) === canonical(spec);
    } catch {
      same = false;
    }
    if (same) continue;
    if (old !== undefined) {
      await tx.deleteService(ws, old.id);
      replaced.add(name);
    }
    await tx.createService({
      id: newId<ServiceId>('svc'),
      workspaceId: ws,
      name,
      spec,
      createdAt: now,
    });
    changes.push({ action: old === undefined ? 'create' : 'update', kind: 'service', name });
  }
  for (const [name, s] of existing) {
    if (doc.services.has(name)) continue;
    await tx.deleteService(ws, s.id);
    changes.push({ action: 'delete', kind: 'service', name });
  }
  return replaced;
}

async function syncAgents(
  tx: StoreOps,
  ws: WorkspaceId,
  doc: ConfigDocument,
  now: number,
  changes: Change[],
  keys: { name: string; key: string }[],
) {
  const existing = new Map((await tx.listAgents(ws)).map((a) => [a.name, a]));
  for (const name of doc.agents) {
    if (existing.has(name)) continue;
    const key = randomToken('alk_agent_');
    await tx.createAgent({
      id: newId<AgentId>('agt'),
      workspaceId: ws,
      name,
      keyHash: sha256Hex(key),
      createdAt: now,
      rotatedAt: null,
      revokedAt: null,
    });
    keys.push({ name, key });
    changes.push({ action: 'create', kind: 'agent', name });
  }
  for (const [name, a] of existing) {
    if (doc.agents.has(name)) continue;
    await tx.deleteAgent(ws, a.id);
    changes.push({ action: 'delete', kind: 'agent', name });
  }
}

async function syncGrants(
  tx: StoreOps,
  ws: WorkspaceId,
  doc: ConfigDocument,
  now: number,
  changes: Change[],
  replaced: ReadonlySet<string>,
) {
  const agents = new Map((await tx.listAgents(ws)).map((a) => [a.id, a]));
  const services = new Map((await tx.listServices(ws)).map((s) => [s.id, s]));
  const agentIds = new Map([...agents.values()].map((a) => [a.name, a.id]));
  const serviceIds = new Map([...services.values()].map((s) => [s.name, s.id]));
  const existing = new Map<string, GrantId>();
  for (const g of await tx.listGrants(ws)) {
    const agent = agents.get(g.agentId)?.name ?? '';
    const service = services.get(g.serviceId)?.name ?? '';
    existing.set(
      grantKey({ agent, service, methods: g.methods, paths: g.paths, expiresAt: g.expiresAt }),
      g.id,
    );
  }
  const wanted = new Set(doc.grants.map(grantKey));
  for (const [key, id] of existing) {
    if (wanted.has(key)) continue;
    await tx.deleteGrant(ws, id);
    const [agent, service] = JSON.parse(key) as [string, string];
    changes.push({ action: 'delete', kind: 'grant', name: `${agent} → ${service}` });
  }
  for (const g of doc.grants) {
    if (existing.has(grantKey(g))) continue;
    const agentId = agentIds.get(g.agent);
    const serviceId = serviceIds.get(g.service);
    if (agentId === undefined || serviceId === undefined)
      throw invalid(`grant ${g.agent} → ${g.service}: unknown agent or service`);
    if (g.expiresAt !== null && g.expiresAt <= now)
      throw invalid(`grant ${g.agent} → ${g.service}: expiresAt is in the past`);
    await tx.createGrant({
      id: newId<GrantId>('grt'),
      workspaceId: ws,
      agentId,
      serviceId,
      methods: g.methods,
      paths: g.paths,
      expiresAt: g.expiresAt,
      createdAt: now,
    });
    // A grant re-created only because its service was replaced is not a change of its own.
    if (!replaced.has(g.service))
      changes.push({ action: 'create', kind: 'grant', name: `${g.agent} → ${g.service}` });
  }
}
