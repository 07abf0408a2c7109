import { dirname, join } from 'node:path';
import {
  type CreateRootKeyOptions,
  createRootKey,
  unwrapDataKey,
  wrapDataKey,
} from '../crypto/index.ts';
import type { HomeConfig, HomePaths } from './config.ts';
import { writeConfig } from './config.ts';
import { rewrapInstanceKey, rootKeyId, writeRootKeyId } from './instance.ts';
import { removeKeyFile, unlockHome } from './unlock.ts';

/** The new root key for `airlock key rotate`. */
export type NewRootKey =
  | { readonly kind: 'file' }
  | { readonly kind: 'passphrase'; readonly passphrase: string; readonly N?: number }
  | { readonly kind: 'command'; readonly command: string; readonly args: readonly string[] };

/**
 * Replaces the root key: re-wraps every workspace data key and the instance
 * key under a new one in one transaction (secret ciphertexts are untouched).
 * Crash-safe: the new key is recorded as pending first; `unlockHome` settles
 * an interrupted rotation by the store's root key id.
 */
export async function rotateRootKey(
  paths: HomePaths,
  current: { passphrase?: string },
  next: NewRootKey,
): Promise<{ workspaces: number; config: HomeConfig }> {
  const { config, rootKey, store } = await unlockHome(paths, current);
  try {
    const options: CreateRootKeyOptions =
      next.kind === 'file'
        ? {
            kind: 'file',
            path: join(dirname(paths.rootKeyFile), `root-${Date.now().toString(36)}.key`),
          }
        : next.kind === 'passphrase'
          ? {
              kind: 'passphrase',
              passphrase: next.passphrase,
              ...(next.N === undefined ? {} : { N: next.N }),
            }
          : { kind: 'command', command: next.command, args: next.args };
    const fresh = await createRootKey(options);
    const pending = { source: fresh.source, verifier: fresh.verifier };
    await writeConfig(paths, { ...config, pendingRootKey: pending });
    const workspaces = await store.transaction(async (tx) => {
      const all = await tx.listWorkspaces();
      for (const w of all) {
        await tx.setWorkspaceKey(
          w.id,
          wrapDataKey(fresh.key, unwrapDataKey(rootKey, w.wrappedKey, w.id), w.id),
        );
      }
      await rewrapInstanceKey(tx, rootKey, fresh.key);
      await writeRootKeyId(tx, rootKeyId(fresh.verifier));
      return all.length;
    });
    const promoted: HomeConfig = {
      version: 1,
      instanceId: config.instanceId,
      rootKey: pending,
      api: config.api,
      proxy: config.proxy,
    };
    await writeConfig(paths, promoted);
    await removeKeyFile(config.rootKey, pending);
    return { workspaces, config: promoted };
  } finally {
    await store.close();
  }
}
