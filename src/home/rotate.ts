import { dirname, join } from 'node:path';
import { createRootKey, unwrapDataKey, wrapDataKey } from '../crypto/index.ts';
import type { HomeConfig, HomePaths } from './config.ts';
import { writeConfig } from './config.ts';
import { type InitRootKey, rootKeyOptions } from './init.ts';
import { rewrapInstanceKey, rootKeyId, writeRootKeyId } from './instance.ts';
import { removeKeyFile, unlockHome } from './unlock.ts';

/**
 * Replaces the root key: re-wraps every workspace data key and the instance
 * key under a new one in one transaction (secret ciphertexts are untouched).
 * Crash-safe: the new key is recorded as pending first; `unlockHome` settles
 * an interrupted rotation by the store's root key id.
 */
export async function rotateRootKey(
  paths: HomePaths,
  current: { passphrase?: string },
  next: InitRootKey,
): Promise<{ workspaces: number; config: HomeConfig }> {
  const { config, rootKey, store } = await unlockHome(paths, current);
  try {
    const keyFile = join(dirname(paths.rootKeyFile), `root-${Date.now().toString(36)}.key`);
    const options = rootKeyOptions(next, keyFile);
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
