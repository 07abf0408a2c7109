import type { WorkspaceId } from '../core/index.ts';
import { formatHostPattern, parseServiceSpec, type ServiceSpec } from '../policy/index.ts';
import type { StoreOps } from '../store/index.ts';
import { parseExecProvider } from '../vault/index.ts';

const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./*@+-]*$/;
const RESERVED = /^(?:true|false|null|~|-?\d+)$/;

function scalar(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean' || typeof v === 'number') return String(v);
  const s = String(v);
  return PLAIN.test(s) && !RESERVED.test(s) ? s : JSON.stringify(s);
}

function isFlat(v: unknown[]): boolean {
  return v.every((x) => x === null || typeof x !== 'object');
}

/**
 * Writes a value in the YAML subset `parseYaml` reads: block mappings and
 * sequences, lists of scalars as one-line flow sequences, strings quoted
 * (JSON style) whenever a plain scalar could be misread.
 */
export function stringifyYaml(value: unknown, indent = 0): string {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return `${pad}[]\n`;
    return value
      .map((item) => {
        if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
          const body = stringifyYaml(item, indent + 2);
          return `${pad}- ${body.slice(indent + 2)}`;
        }
        return `${pad}- ${scalar(item)}\n`;
      })
      .join('');
  }
  if (value !== null && typeof value === 'object') {
    let out = '';
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      if (Array.isArray(v) && isFlat(v))
        out += `${pad}${scalar(k)}: [${v.map(scalar).join(', ')}]\n`;
      else if (v !== null && typeof v === 'object') {
        const empty = Array.isArray(v) ? v.length === 0 : Object.keys(v).length === 0;
        out += empty
          ? `${pad}${scalar(k)}: ${Array.isArray(v) ? '[]' : '{}'}\n`
          : `${pad}${scalar(k)}:\n${stringifyYaml(v, indent + 2)}`;
      } else out += `${pad}${scalar(k)}: ${scalar(v)}\n`;
    }
    return out === '' ? `${pad}{}\n` : out;
  }
  return `${pad}${scalar(value)}\n`;
}

/** A service as `airlock.yaml` writes it: host patterns as text, defaults left out. */
function serviceEntry(spec: ServiceSpec): Record<string, unknown> {
  const auth: Record<string, unknown> = { ...spec.auth };
  if (spec.auth.kind === 'basic' && spec.auth.username === null) delete auth.username;
  if (spec.auth.kind === 'header' && spec.auth.prefix === '') delete auth.prefix;
  return {
    ...(spec.scheme === 'https' ? {} : { scheme: spec.scheme }),
    hosts: spec.hosts.map(formatHostPattern),
    paths: spec.paths,
    ...(spec.methods === null ? {} : { methods: spec.methods }),
    auth,
    secret: spec.secret,
    ...(spec.env === null ? {} : { env: spec.env }),
  };
}

/**
 * The workspace's configuration as an `airlock.yaml` document: providers,
 * secrets (references by text, stored ones as `stored: true`, never a
 * value), services, live agents and grants. `apply` of the result changes
 * nothing.
 */
export async function exportConfig(tx: StoreOps, ws: WorkspaceId): Promise<string> {
  const providers: Record<string, unknown> = {};
  for (const p of await tx.listProviders(ws)) {
    const { name: _, ...rest } = parseExecProvider(p.spec);
    providers[p.name] = rest;
  }
  const secrets: Record<string, unknown> = {};
  for (const s of await tx.listSecrets(ws)) secrets[s.name] = { stored: true };
  for (const r of await tx.listSecretRefs(ws)) secrets[r.name] = { ref: r.ref };
  const sorted = Object.fromEntries(Object.entries(secrets).sort(([a], [b]) => (a < b ? -1 : 1)));
  const serviceRecords = await tx.listServices(ws);
  const services: Record<string, unknown> = {};
  for (const s of serviceRecords) services[s.name] = serviceEntry(parseServiceSpec(s.spec));
  const agents = await tx.listAgents(ws);
  const agentNames = new Map(agents.map((a) => [a.id, a.name]));
  const serviceNames = new Map(serviceRecords.map((s) => [s.id, s.name]));
  const grants = (await tx.listGrants(ws)).map((g) => ({
    agent: agentNames.get(g.agentId),
    service: serviceNames.get(g.serviceId),
    ...(g.methods === null ? {} : { methods: g.methods }),
    ...(g.paths === null ? {} : { paths: g.paths }),
    ...(g.expiresAt === null ? {} : { expiresAt: new Date(g.expiresAt).toISOString() }),
  }));
  const doc = {
    version: 1,
    providers,
    secrets: sorted,
    services,
    agents: agents.map((a) => a.name),
    grants,
  };
  return `# Airlock configuration (airlock export). Secret values are never in this file.\n${stringifyYaml(doc)}`;
}
