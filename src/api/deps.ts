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
}
