import { rm } from 'node:fs/promises';
import { AirlockError } from '../core/index.ts';
import { loadRootKey } from '../crypto/index.ts';
import { openSqliteStore, type Store } from '../store/index.ts';
import {
  type HomeConfig,
  type HomePaths,
  type RootKeyEntry,
  readConfig,
  writeConfig,
} from './config.ts';
import { readRootKeyId, rootKeyId } from './instance.ts';

export interface UnlockedHome {
  readonly config: HomeConfig;
  readonly rootKey: Uint8Array;
  readonly store: Store;
}

/**
 * Opens a home: reads its config, opens the store, settles an interrupted
 * root key rotation, and loads the root key. A wrong key or passphrase is
 * `ERR_ROOT_KEY` and nothing is touched.
 */
export async function unlockHome(
  paths: HomePaths,
  opts: { passphrase?: string },
): Promise<UnlockedHome> {
  let config = await readConfig(paths);
  const store = await openSqliteStore(paths.store);
  try {
    const active = await readRootKeyId(store);
    config = await settleRotation(paths, config, active);
    if (active !== rootKeyId(config.rootKey.verifier))
      throw new AirlockError('ERR_ROOT_KEY', 'root key rejected');
    const rootKey = await loadRootKey(config.rootKey.source, config.rootKey.verifier, opts);
    return { config, rootKey, store };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/**
 * `key rotate` records the new key as `pendingRootKey` before it re-wraps
 * the store, and promotes it after. If it stopped in between, the store's
 * root key id says which key won: promote the pending entry, or drop it.
 */
async function settleRotation(
  paths: HomePaths,
  config: HomeConfig,
  active: string | null,
): Promise<HomeConfig> {
  const pending = config.pendingRootKey;
  if (pending === undefined) return config;
  const { pendingRootKey: _, ...rest } = config;
  if (active === rootKeyId(pending.verifier)) {
    const promoted: HomeConfig = { ...rest, rootKey: pending };
    await writeConfig(paths, promoted);
    await removeKeyFile(config.rootKey, pending);
    return promoted;
  }
  await writeConfig(paths, rest);
  await removeKeyFile(pending, config.rootKey);
  return rest;
}

/** Deletes `entry`'s key file, unless it is the one `keep` uses. */
export async function removeKeyFile(entry: RootKeyEntry, keep: RootKeyEntry): Promise<void> {
  if (entry.source.kind !== 'file') return;
  if (keep.source.kind === 'file' && keep.source.path === entry.source.path) return;
  await rm(entry.source.path, { force: true });
}
