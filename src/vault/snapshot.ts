import { channel } from 'node:diagnostics_channel';
import {
  AirlockError,
  type Clock,
  type ErrorCode,
  isAirlockError,
  type WorkspaceId,
} from '../core/index.ts';
import { parseServiceSpec } from '../policy/index.ts';
import type { Store } from '../store/index.ts';
import { type ExecProvider, parseExecProvider } from './providers/exec.ts';
import { parseSecretRef, type SecretRef, type SourceKind } from './providers/ref.ts';
import { resolveRefs } from './providers/resolve.ts';
import type { Vault } from './vault.ts';

/** `diagnostics_channel` names the snapshot publishes on, once per transition. */
export const SOURCE_CHANNELS = {
  degraded: 'airlock:vault:degraded',
  recovered: 'airlock:vault:recovered',
} as const;

/** How one referenced secret stands after the last resolution. */
export type RefState = 'ok' | 'stale' | 'unavailable' | 'unused';

/** One referenced secret that its source failed to serve at the last resolution. */
export interface SourceFailure {
  readonly workspaceId: WorkspaceId;
  readonly secret: string;
  readonly kind: SecretRef['kind'];
  /** `stale`: still served from its last-known-good value; `unavailable`: requests fail closed. */
  readonly state: 'stale' | 'unavailable';
  readonly code: ErrorCode;
  readonly message: string;
  /** When this failure began (ISO 8601). */
  readonly since: string;
}

/** What `/healthz`, `airlock status` and `airlock reload` report about secret sources. */
export interface SourcesStatus {
  readonly state: 'ok' | 'degraded';
  /** When references were last resolved (ISO 8601), or null before the first time. */
  readonly resolvedAt: string | null;
  readonly references: number;
  readonly failing: readonly SourceFailure[];
}

/** A reference as `secret list` shows it: never its value. */
export interface RefStatus {
  readonly name: string;
  readonly ref: string;
  readonly kind: SourceKind;
  readonly state: RefState;
  readonly code: ErrorCode | null;
  readonly message: string | null;
}

interface Entry {
  readonly ref: string;
  readonly kind: SecretRef['kind'];
  readonly value: string | null;
  readonly failure: { code: ErrorCode; message: string; since: number } | null;
}

export interface SecretSnapshotOptions {
  readonly store: Store;
  readonly vault: Vault;
  readonly clock: Clock;
  /** The server's environment as it was at start: `env:` references read it, exec children get allowlisted parts of it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly maxValueBytes: number;
}

const degradedChannel = channel(SOURCE_CHANNELS.degraded);
const recoveredChannel = channel(SOURCE_CHANNELS.recovered);

function keyOf(ws: WorkspaceId, name: string): string {
  return `${ws}\0${name}`;
}

/**
 * The proxy's only way to a secret value (DESIGN, "The request path").
 *
 * References are resolved eagerly, all at once, into an in-memory map that
 * `refresh` replaces whole: at start, on `airlock reload`, on SIGHUP and
 * after every change to services, references or providers. Only references
 * some service uses are resolved. When a source fails, each secret it
 * serves keeps its last-known-good value (for the same reference text) and
 * the snapshot is degraded; a secret that never had a good value fails its
 * requests with `ERR_SECRET_UNAVAILABLE`. Entering and leaving degradation
 * each publish one event. Stored secrets come from the vault, which keeps
 * its own in-memory cache. Nothing here is ever written to disk.
 */
export class SecretSnapshot {
  readonly #opts: SecretSnapshotOptions;
  #entries = new Map<string, Entry>();
  /** Every reference by workspace and name (used or not), from the last refresh. */
  #refs = new Map<string, { ws: WorkspaceId; name: string; ref: string }>();
  #resolvedAt: number | null = null;
  #degraded = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: SecretSnapshotOptions) {
    this.#opts = options;
  }

  /**
   * Re-resolves every used reference (`all`), or only those not resolved
   * yet for their current reference text (`new`: after a policy change), and
   * swaps the result in. Calls run one after another.
   */
  refresh(mode: 'all' | 'new' = 'all'): Promise<SourcesStatus> {
    const run = this.#queue.then(() => this.#refresh(mode));
    this.#queue = run.catch(() => {});
    return run;
  }

  async #refresh(mode: 'all' | 'new'): Promise<SourcesStatus> {
    const { store, clock } = this.#opts;
    const refs = new Map<string, { ws: WorkspaceId; name: string; ref: string }>();
    const wanted = new Map<string, SecretRef>();
    const providers = new Map<WorkspaceId, Map<string, ExecProvider>>();
    const invalid = new Map<string, AirlockError>();
    for (const w of await store.listWorkspaces()) {
      const ws = w.id as WorkspaceId;
      const used = new Set<string>();
      for (const s of await store.listServices(ws)) {
        try {
          used.add(parseServiceSpec(s.spec).secret);
        } catch {
          // A service that no longer parses injects nothing; the policy snapshot reports it.
        }
      }
      const declared = new Map<string, ExecProvider>();
      for (const p of await store.listProviders(ws)) {
        try {
          declared.set(p.name, parseExecProvider(p.spec));
        } catch {
          // An unparseable declaration is as good as none: its references say ERR_PROVIDER_UNKNOWN.
        }
      }
      providers.set(ws, declared);
      for (const r of await store.listSecretRefs(ws)) {
        const key = keyOf(ws, r.name);
        refs.set(key, { ws, name: r.name, ref: r.ref });
        if (!used.has(r.name)) continue;
        try {
          wanted.set(key, parseSecretRef(r.ref));
        } catch (err) {
          invalid.set(
            key,
            isAirlockError(err)
              ? err
              : new AirlockError('ERR_STORE', 'a stored reference does not parse'),
          );
        }
      }
    }
    const next = new Map<string, Entry>();
    if (mode === 'new') {
      for (const key of [...wanted.keys()]) {
        const old = this.#entries.get(key);
        if (old !== undefined && old.ref === refs.get(key)?.ref) {
          next.set(key, old);
          wanted.delete(key);
        }
      }
    }
    const results = new Map<string, Awaited<ReturnType<typeof resolveRefs>>>();
    for (const [ws, declared] of providers) {
      const mine = new Map([...wanted].filter(([k]) => refs.get(k)?.ws === ws));
      if (mine.size === 0) continue;
      results.set(
        ws,
        await resolveRefs(mine, {
          env: this.#opts.env,
          providers: declared,
          maxValueBytes: this.#opts.maxValueBytes,
        }),
      );
    }
    const now = clock.now();
    for (const [key, ref] of wanted) {
      const info = refs.get(key);
      if (info === undefined) continue;
      const r = results.get(info.ws)?.get(key) ?? {
        ok: false,
        code: 'ERR_PROVIDER_FAILED',
        message: 'not resolved',
      };
      next.set(key, this.#merge(key, info.ref, ref.kind, r, now));
    }
    for (const [key, err] of invalid) {
      const info = refs.get(key);
      if (info === undefined) continue;
      // Only a tampered store holds a reference that does not parse (the API checks
      // each one): it fails closed, and `kind` is a stand-in since none can be read.
      next.set(key, {
        ref: info.ref,
        kind: 'env',
        value: null,
        failure: { code: err.code, message: err.message, since: now },
      });
    }
    this.#entries = next;
    this.#refs = refs;
    this.#resolvedAt = now;
    const status = this.status();
    this.#announce(status);
    return status;
  }

  /** The new entry for one reference: the fresh value, or the failure with the last-known-good value kept. */
  #merge(
    key: string,
    ref: string,
    kind: SecretRef['kind'],
    r: { ok: true; value: string } | { ok: false; code: ErrorCode; message: string },
    now: number,
  ): Entry {
    if (r.ok) return { ref, kind, value: r.value, failure: null };
    const old = this.#entries.get(key);
    const sameSource = old !== undefined && old.ref === ref;
    const since =
      sameSource && old.failure !== null && old.failure.code === r.code ? old.failure.since : now;
    return {
      ref,
      kind,
      value: sameSource ? old.value : null,
      failure: { code: r.code, message: r.message, since },
    };
  }

  #announce(status: SourcesStatus): void {
    const degraded = status.state === 'degraded';
    if (degraded === this.#degraded) return;
    this.#degraded = degraded;
    const target = degraded ? degradedChannel : recoveredChannel;
    if (target.hasSubscribers) {
      target.publish({
        failing: status.failing.map((f) => ({
          workspaceId: f.workspaceId,
          secret: f.secret,
          state: f.state,
          code: f.code,
        })),
      });
    }
  }

  /**
   * The current value of a secret for injection. A reference without a
   * value, or a stored secret that is gone, is `ERR_SECRET_UNAVAILABLE`
   * (the message names the secret and the source's code, never a value).
   */
  async value(ws: WorkspaceId, name: string): Promise<string> {
    const key = keyOf(ws, name);
    if (this.#refs.has(key)) {
      const entry = this.#entries.get(key);
      if (entry?.value != null) return entry.value;
      const why = entry?.failure?.code ?? 'not resolved yet';
      throw new AirlockError('ERR_SECRET_UNAVAILABLE', `secret ${name} has no value (${why})`);
    }
    try {
      return await this.#opts.vault.current(ws, name);
    } catch (err) {
      if (isAirlockError(err, 'ERR_NOT_FOUND')) {
        throw new AirlockError('ERR_SECRET_UNAVAILABLE', `secret ${name} does not exist`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  /** Degraded or not, and which secrets fail, by code. */
  status(): SourcesStatus {
    const failing: SourceFailure[] = [];
    for (const [key, e] of this.#entries) {
      const info = this.#refs.get(key);
      if (e.failure === null || info === undefined) continue;
      failing.push({
        workspaceId: info.ws,
        secret: info.name,
        kind: e.kind,
        state: e.value === null ? 'unavailable' : 'stale',
        code: e.failure.code,
        message: e.failure.message,
        since: new Date(e.failure.since).toISOString(),
      });
    }
    return {
      state: failing.length > 0 ? 'degraded' : 'ok',
      resolvedAt: this.#resolvedAt === null ? null : new Date(this.#resolvedAt).toISOString(),
      references: this.#refs.size,
      failing,
    };
  }

  /** Each reference of a workspace and how it stands, for listings. */
  describe(ws: WorkspaceId): RefStatus[] {
    const out: RefStatus[] = [];
    for (const [key, info] of this.#refs) {
      if (info.ws !== ws) continue;
      const e = this.#entries.get(key);
      let kind: SourceKind;
      try {
        kind = parseSecretRef(info.ref).kind;
      } catch {
        kind = 'env';
      }
      const state: RefState =
        e === undefined
          ? 'unused'
          : e.failure === null
            ? 'ok'
            : e.value === null
              ? 'unavailable'
              : 'stale';
      out.push({
        name: info.name,
        ref: info.ref,
        kind,
        state,
        code: e?.failure?.code ?? null,
        message: e?.failure?.message ?? null,
      });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /**
   * The current values of every resolved reference of `ws`, for the
   * scanner's keyed fingerprints. Never leaves the process in the clear.
   */
  resolvedValues(ws: WorkspaceId): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, e] of this.#entries) {
      const info = this.#refs.get(key);
      if (info?.ws === ws && e.value !== null) out.set(info.name, e.value);
    }
    return out;
  }
}
