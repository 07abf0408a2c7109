import { AirlockError } from '../core/index.ts';
import { parseServiceSpec, type ServiceSpec, validateGrantNarrowing } from '../policy/index.ts';
import {
  assertSecretName,
  type ExecProvider,
  formatSecretRef,
  parseExecProvider,
  parseSecretRef,
} from '../vault/index.ts';
import type { YamlDocument } from './yaml.ts';

/** A secret as the file declares it: a reference, or a value already stored in Airlock. */
export type DeclaredSecret =
  | { readonly kind: 'ref'; readonly ref: string }
  | { readonly kind: 'stored' };

/** A grant as the file declares it, in canonical form. */
export interface DeclaredGrant {
  readonly agent: string;
  readonly service: string;
  readonly methods: readonly string[] | null;
  readonly paths: readonly string[] | null;
  readonly expiresAt: number | null;
}

/** `airlock.yaml`, checked: the whole configuration Airlock is made to match. */
export interface ConfigDocument {
  readonly providers: ReadonlyMap<string, ExecProvider>;
  readonly secrets: ReadonlyMap<string, DeclaredSecret>;
  readonly services: ReadonlyMap<string, ServiceSpec>;
  readonly agents: ReadonlySet<string>;
  readonly grants: readonly DeclaredGrant[];
}

const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
const TOP = ['version', 'providers', 'secrets', 'services', 'agents', 'grants'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Errors at `path`, pointing at its line (or the nearest enclosing one). */
class Located {
  readonly #lines: ReadonlyMap<string, number>;
  constructor(lines: ReadonlyMap<string, number>) {
    this.#lines = lines;
  }

  line(path: string): number | null {
    for (let p = path; p !== ''; p = p.replace(/(\.[^.[\]]*|\[\d+\])$/, '')) {
      const n = this.#lines.get(p);
      if (n !== undefined) return n;
      if (!/(\.[^.[\]]*|\[\d+\])$/.test(p)) break;
    }
    return null;
  }

  fail(path: string, why: string, cause?: unknown): AirlockError {
    const n = this.line(path);
    return new AirlockError(
      'ERR_APPLY_INVALID',
      `${n === null ? '' : `line ${n}: `}${path}: ${why}`,
      cause === undefined ? undefined : { cause },
    );
  }

  /** Runs a parser, re-raising its error as `ERR_APPLY_INVALID` at `path`. */
  at<T>(path: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof AirlockError) throw this.fail(path, err.message, err);
      throw err;
    }
  }

  mapping(value: unknown, path: string): Record<string, unknown> {
    if (value === null || value === undefined) return {};
    if (!isRecord(value)) throw this.fail(path, 'must be a mapping of name: definition');
    for (const name of Object.keys(value)) {
      if (!OBJECT_NAME.test(name)) throw this.fail(`${path}.${name}`, 'not a valid name');
    }
    return value;
  }

  only(value: Record<string, unknown>, allowed: readonly string[], path: string): void {
    for (const k of Object.keys(value)) {
      if (!allowed.includes(k)) throw this.fail(path === '' ? k : `${path}.${k}`, 'unknown field');
    }
  }
}

function expiry(value: unknown, loc: Located, path: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !ISO_TIME.test(value) || !Number.isFinite(Date.parse(value))) {
    throw loc.fail(path, 'must be an ISO-8601 time with a zone, like 2030-01-01T00:00:00Z');
  }
  return Date.parse(value);
}

/**
 * Checks a parsed `airlock.yaml` against the schema (docs/apply.md) and
 * resolves its cross-references: every service names a declared secret,
 * every grant a declared agent and service and stays within the service,
 * every `exec:` reference a declared provider. Errors are
 * `ERR_APPLY_INVALID` and name the line and the path. Never holds a value:
 * a secret is a reference or `stored: true`.
 */
export function parseConfigDocument(doc: YamlDocument): ConfigDocument {
  const loc = new Located(doc.lines);
  const root = doc.value;
  if (!isRecord(root)) throw loc.fail('version', 'the file must be a mapping with version: 1');
  loc.only(root, TOP, '');
  if (root.version !== 1) throw loc.fail('version', 'must be 1');

  const providers = new Map<string, ExecProvider>();
  for (const [name, def] of Object.entries(loc.mapping(root.providers, 'providers'))) {
    const path = `providers.${name}`;
    if (!isRecord(def)) throw loc.fail(path, 'must be a mapping');
    providers.set(
      name,
      loc.at(path, () => parseExecProvider({ ...def, name })),
    );
  }

  const secrets = new Map<string, DeclaredSecret>();
  for (const [name, def] of Object.entries(loc.mapping(root.secrets, 'secrets'))) {
    const path = `secrets.${name}`;
    loc.at(path, () => assertSecretName(name));
    if (!isRecord(def)) throw loc.fail(path, 'must be { ref: … } or { stored: true }');
    loc.only(def, ['ref', 'stored'], path);
    if (def.stored === true && def.ref === undefined) {
      secrets.set(name, { kind: 'stored' });
      continue;
    }
    if (def.stored !== undefined) throw loc.fail(path, 'give either ref or stored: true');
    const ref = loc.at(`${path}.ref`, () => parseSecretRef(def.ref));
    if (ref.kind === 'exec' && !providers.has(ref.provider)) {
      throw loc.fail(`${path}.ref`, `no provider named ${ref.provider} is declared`);
    }
    secrets.set(name, { kind: 'ref', ref: formatSecretRef(ref) });
  }

  const services = new Map<string, ServiceSpec>();
  for (const [name, def] of Object.entries(loc.mapping(root.services, 'services'))) {
    const path = `services.${name}`;
    const spec = loc.at(path, () => parseServiceSpec(def));
    if (!secrets.has(spec.secret))
      throw loc.fail(`${path}.secret`, `no secret named ${spec.secret} is declared`);
    services.set(name, spec);
  }

  const agents = new Set<string>();
  const agentList = root.agents ?? [];
  if (!Array.isArray(agentList)) throw loc.fail('agents', 'must be a list of names');
  agentList.forEach((name: unknown, i) => {
    if (typeof name !== 'string' || !OBJECT_NAME.test(name))
      throw loc.fail(`agents[${i}]`, 'not a valid agent name');
    if (agents.has(name)) throw loc.fail(`agents[${i}]`, `${name} is listed twice`);
    agents.add(name);
  });

  const grants: DeclaredGrant[] = [];
  const grantList = root.grants ?? [];
  if (!Array.isArray(grantList)) throw loc.fail('grants', 'must be a list');
  const seen = new Set<string>();
  grantList.forEach((g: unknown, i) => {
    const path = `grants[${i}]`;
    if (!isRecord(g))
      throw loc.fail(path, 'must be { agent, service, methods?, paths?, expiresAt? }');
    loc.only(g, ['agent', 'service', 'methods', 'paths', 'expiresAt'], path);
    if (typeof g.agent !== 'string' || !agents.has(g.agent))
      throw loc.fail(`${path}.agent`, 'must name a listed agent');
    const spec = typeof g.service === 'string' ? services.get(g.service) : undefined;
    if (spec === undefined || typeof g.service !== 'string')
      throw loc.fail(`${path}.service`, 'must name a declared service');
    const { methods } = loc.at(g.methods !== undefined ? `${path}.methods` : path, () =>
      validateGrantNarrowing(spec, { methods: g.methods ?? null, paths: null }),
    );
    const { paths } = loc.at(g.paths !== undefined ? `${path}.paths` : path, () =>
      validateGrantNarrowing(spec, { methods: null, paths: g.paths ?? null }),
    );
    const key = `${g.agent}\0${g.service}`;
    if (seen.has(key))
      throw loc.fail(path, `a grant of ${g.service} to ${g.agent} is already listed`);
    seen.add(key);
    grants.push({
      agent: g.agent,
      service: g.service,
      methods,
      paths,
      expiresAt: expiry(g.expiresAt, loc, `${path}.expiresAt`),
    });
  });
  return { providers, secrets, services, agents, grants };
}
