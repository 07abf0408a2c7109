import type { WorkspaceId } from '../core/index.ts';
import { randomToken, sha256Hex } from '../crypto/index.ts';
import {
  PLACEHOLDER_MIN_RANDOM,
  PLACEHOLDER_PREFIX,
  type PlaceholderDeps,
  type PlaceholderGrant,
} from '../proxy/index.ts';
import type { PlaceholderRecord, StoreOps } from '../store/index.ts';

/** Random bytes in a placeholder: 20 bytes are exactly 32 base32 characters (160 bits). */
const PLACEHOLDER_BYTES = (PLACEHOLDER_MIN_RANDOM * 5) / 8;

/** A new sealed placeholder: `alk_ph_` and 32 random lower-case base32 characters. */
export function mintPlaceholder(): string {
  return randomToken(PLACEHOLDER_PREFIX, PLACEHOLDER_BYTES);
}

/** What the store keeps of a placeholder: the lower-case hex SHA-256 of its text. */
export function hashPlaceholder(placeholder: string): string {
  return sha256Hex(placeholder);
}

function textKey(ws: WorkspaceId, taskId: string, secretName: string): string {
  return `${ws}\u0000${taskId}\u0000${secretName}`;
}

/**
 * The proxy's in-memory view of sealed placeholders, by hash: loaded from
 * the store at start-up, added to as tasks mint theirs, pruned after
 * expiry. The text of a placeholder is known only where it was minted, or
 * once an agent has presented it; the response scrubber writes it back in
 * place of the secret's value.
 */
export class PlaceholderTable implements PlaceholderDeps {
  #byHash = new Map<string, PlaceholderGrant>();
  readonly #text = new Map<string, string>();

  /** Replaces the table with `records` (the store's unexpired placeholders). */
  load(records: readonly PlaceholderRecord[]): void {
    const next = new Map<string, PlaceholderGrant>();
    for (const r of records) next.set(r.hash, grantOf(r));
    this.#byHash = next;
  }

  /** Adds one placeholder; `text` when this process minted it. */
  add(record: PlaceholderRecord, text: string | null): void {
    this.#byHash.set(record.hash, grantOf(record));
    if (text !== null)
      this.#text.set(textKey(record.workspaceId, record.taskId, record.secretName), text);
  }

  lookup(placeholder: string): PlaceholderGrant | null {
    const grant = this.#byHash.get(hashPlaceholder(placeholder)) ?? null;
    if (grant !== null) {
      this.#text.set(textKey(grant.workspaceId, grant.taskId, grant.secretName), placeholder);
    }
    return grant;
  }

  placeholderFor(workspaceId: WorkspaceId, taskId: string, secretName: string): string | null {
    return this.#text.get(textKey(workspaceId, taskId, secretName)) ?? null;
  }

  /** Drops placeholders that expired before `now`. Returns how many went. */
  prune(now: number): number {
    let n = 0;
    for (const [hash, g] of this.#byHash) {
      if (g.expiresAt > now) continue;
      this.#byHash.delete(hash);
      this.#text.delete(textKey(g.workspaceId, g.taskId, g.secretName));
      n++;
    }
    return n;
  }

  /** How many placeholders the table holds. */
  get size(): number {
    return this.#byHash.size;
  }
}

function grantOf(r: PlaceholderRecord): PlaceholderGrant {
  return {
    workspaceId: r.workspaceId,
    taskId: r.taskId,
    secretName: r.secretName,
    expiresAt: r.expiresAt,
  };
}

/** One minted placeholder, as `airlock run` receives it. */
export interface MintedPlaceholder {
  readonly secret: string;
  readonly placeholder: string;
}

/**
 * Mints a placeholder for each of `secrets` for one task, stores their
 * hashes (all or none; `ERR_CONFLICT` when the task already has one for a
 * secret) and adds them to `table`. The texts are returned once, here.
 */
export async function mintTaskPlaceholders(
  store: StoreOps,
  table: PlaceholderTable,
  task: { readonly workspaceId: WorkspaceId; readonly id: string; readonly expiresAt: number },
  secrets: readonly string[],
  now: number,
): Promise<MintedPlaceholder[]> {
  const minted = [...new Set(secrets)].map((secret) => ({
    secret,
    placeholder: mintPlaceholder(),
  }));
  const records: PlaceholderRecord[] = minted.map((m) => ({
    hash: hashPlaceholder(m.placeholder),
    workspaceId: task.workspaceId,
    taskId: task.id,
    secretName: m.secret,
    createdAt: now,
    expiresAt: task.expiresAt,
  }));
  await store.createPlaceholders(records);
  table.prune(now);
  records.forEach((r, i) => {
    table.add(r, minted[i]?.placeholder ?? null);
  });
  return minted;
}
