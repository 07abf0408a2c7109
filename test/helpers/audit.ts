import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  type AnchorSigner,
  type AuditLog,
  type AuditWriterOptions,
  loadAuditSigner,
  openAuditLog,
  type ProxyDeniedAuditEvent,
  type ProxyRequestAuditEvent,
  proxyDeniedEvent,
  proxyRequestEvent,
} from '../../src/audit/index.ts';
import type { Clock, ErrorCode, WorkspaceId } from '../../src/core/index.ts';
import { openSqliteStore, type Store } from '../../src/store/index.ts';
import { tempDir } from './airlock.ts';

/** A clock the test moves by hand. */
export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function manualClock(start = Date.UTC(2030, 0, 1)): ManualClock {
  let now = start;
  return {
    now: () => now,
    set: (ms) => {
      now = ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export const WS = 'ws_test' as WorkspaceId;
export const INSTANCE = 'inst_test';

/** An audit log on a fresh SQLite file in a temp dir. */
export interface AuditFixture {
  readonly file: string;
  readonly clock: ManualClock;
  readonly instanceKey: Uint8Array;
  store: Store;
  log: AuditLog;
  signer: AnchorSigner;
  /** Closes the log and store and opens them again on the same file. */
  reopen(opts?: Partial<AuditWriterOptions>): Promise<void>;
  /** Runs `fn` on a second, raw connection: how the tamper tests edit rows behind Airlock's back. */
  raw<T>(fn: (db: DatabaseSync) => T): T;
  close(): Promise<void>;
}

export async function auditFixture(opts: Partial<AuditWriterOptions> = {}): Promise<AuditFixture> {
  const { dir, cleanup } = await tempDir('airlock-audit-');
  const file = join(dir, 'audit.db');
  const clock = manualClock();
  const instanceKey = randomBytes(32);
  const open = async (more: Partial<AuditWriterOptions>) => {
    const store = await openSqliteStore(file);
    const signer = await loadAuditSigner(store, instanceKey);
    const log = await openAuditLog({
      store,
      signer,
      instance: INSTANCE,
      clock,
      defaultWorkspace: WS,
      ...more,
    });
    return { store, signer, log };
  };
  const first = await open(opts);
  const fx: AuditFixture = {
    file,
    clock,
    instanceKey,
    ...first,
    async reopen(more = opts) {
      await fx.log.close();
      await fx.store.close();
      Object.assign(fx, await open(more));
    },
    raw(fn) {
      const db = new DatabaseSync(file);
      try {
        return fn(db);
      } finally {
        db.close();
      }
    },
    async close() {
      await fx.log.close().catch(() => {});
      await fx.store.close().catch(() => {});
      await cleanup();
    },
  };
  return fx;
}

const ctxOf = (fx: { log: AuditLog }) => fx.log.context;

/** A `proxy.request` event for `agent` on `service`, recorded after the fact. */
export function requestEvent(
  fx: { log: AuditLog },
  agent: string,
  service: string,
  extra: { taskId?: string; grantId?: string; path?: string } = {},
): ProxyRequestAuditEvent {
  return proxyRequestEvent(
    ctxOf(fx),
    {
      agentId: `agt_${agent}`,
      agentName: agent,
      workspaceId: WS,
      service,
      secretName: `${service}-token`,
      scheme: 'https',
      host: `api.${service}.example`,
      port: 443,
      method: 'GET',
      path: extra.path ?? '/v1/items',
      queryNames: ['page'],
      upgrade: false,
      ...(extra.taskId === undefined ? {} : { taskId: extra.taskId }),
      ...(extra.grantId === undefined ? {} : { grantId: extra.grantId }),
    },
    { status: 200, bytesIn: 10, bytesOut: 200, durationMs: 3.5, error: null },
  );
}

/** A `proxy.denied` event for `agent` on `service`. */
export function deniedEvent(
  fx: { log: AuditLog },
  agent: string,
  service: string | null,
  code: ErrorCode = 'ERR_SCOPE_DENIED',
): ProxyDeniedAuditEvent {
  return proxyDeniedEvent(ctxOf(fx), {
    agentId: `agt_${agent}`,
    agentName: agent,
    workspaceId: WS,
    service,
    secretName: null,
    scheme: 'https',
    host: 'evil.example',
    port: 443,
    method: 'POST',
    path: '/upload',
    queryNames: [],
    code,
    status: 403,
  });
}
