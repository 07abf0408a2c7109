import type { AuditLog } from '../audit/index.ts';
import type { Clock, WorkspaceId } from '../core/index.ts';
import type { Store } from '../store/index.ts';
import type { Vault } from '../vault/index.ts';

/** What the admin API needs from the composition root. */
export interface ApiDeps {
  readonly store: Store;
  readonly vault: Vault;
  readonly clock: Clock;
  /** The workspace the local socket's owner acts in. */
  readonly defaultWorkspace: WorkspaceId;
  /** Facts for `GET /v1/status`. */
  readonly status: () => Record<string, unknown>;
  /** Unique to this install (`config.json`); names the CA a rotation creates. */
  readonly instanceId: string;
  /** The unwrapped instance key, which seals the CA private keys in the store. */
  readonly instanceKey: Uint8Array;
  /**
   * Called after every committed agent, service or grant change, and awaited
   * before the API answers, so the proxy's in-memory snapshot is current by
   * the time the caller sees the change (invariant 4, "revocation is prompt").
   */
  readonly onPolicyChange: () => Promise<void>;
  /** Called after `ca rotate` commits, so the proxy issues leaves from the new CA. */
  readonly onCaChange: () => Promise<void>;
  /**
   * The unauthenticated `GET /healthz` body: `{ status: 'ok' }` by default;
   * `degraded` (still 200: the server serves) names the failing secret sources by code.
   */
  readonly health?: () => Record<string, unknown>;
  /**
   * The audit trail. When set, every successful change made through the API
   * and every refused authentication is recorded, and awaited before the
   * API answers.
   */
  readonly audit?: AuditLog;
}
