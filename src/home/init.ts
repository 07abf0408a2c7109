import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { createCa } from '../ca/index.ts';
import type { ApiKeyId, Clock, WorkspaceId } from '../core/index.ts';
import { AirlockError, newId } from '../core/index.ts';
import {
  type CreateRootKeyOptions,
  createRootKey,
  randomToken,
  sha256Hex,
} from '../crypto/index.ts';
import { openSqliteStore } from '../store/index.ts';
import { newSigningKeySet, saveSigningKeys } from '../tokens/index.ts';
import { newWrappedDataKey } from '../vault/index.ts';
import {
  DEFAULT_API,
  DEFAULT_PROXY,
  type HomeConfig,
  type HomePaths,
  newInstanceId,
  writeConfig,
} from './config.ts';
import { createInstanceKey, rootKeyId, saveCaSet, writeRootKeyId } from './instance.ts';

/** How `airlock init` gets its root key. */
export type InitRootKey =
  | { readonly kind: 'file' }
  | { readonly kind: 'passphrase'; readonly passphrase: string; readonly N?: number }
  | { readonly kind: 'command'; readonly command: string; readonly args: readonly string[] };

/** The `createRootKey` options for a choice; a new key file goes to `keyFile`. */
export function rootKeyOptions(choice: InitRootKey, keyFile: string): CreateRootKeyOptions {
  switch (choice.kind) {
    case 'file':
      return { kind: 'file', path: keyFile };
    case 'passphrase':
      return {
        kind: 'passphrase',
        passphrase: choice.passphrase,
        ...(choice.N === undefined ? {} : { N: choice.N }),
      };
    case 'command':
      return { kind: 'command', command: choice.command, args: choice.args };
  }
}

export interface InitResult {
  readonly config: HomeConfig;
  /** The owner API key. Shown once; only its hash is kept. */
  readonly ownerKey: string;
  readonly caFingerprint: string;
}

/**
 * Creates a home: the directory (0700), the root key, the SQLite store with
 * the `default` workspace, its data key, the instance key, the CA, the
 * token-signing key (Ed25519, sealed under the instance key), and the owner
 * API key. `config.json` is written last, so a home without it is an
 * unfinished init; on any failure everything this call created is removed.
 */
export async function initHome(
  paths: HomePaths,
  rootKey: InitRootKey,
  clock: Clock,
): Promise<InitResult> {
  await prepareDirectory(paths.home);
  const created: string[] = [];
  try {
    const keyOptions = rootKeyOptions(rootKey, paths.rootKeyFile);
    if (rootKey.kind === 'file') created.push(paths.rootKeyFile);
    const root = await createRootKey(keyOptions);
    created.push(paths.store, `${paths.store}-wal`, `${paths.store}-shm`);
    const store = await openSqliteStore(paths.store);
    const instanceId = newInstanceId();
    const ownerKey = randomToken('alk_owner_');
    const now = clock.now();
    const ca = createCa({ commonName: `Airlock CA ${instanceId}`, now });
    try {
      await store.transaction(async (tx) => {
        const ws = newId<WorkspaceId>('ws');
        await tx.createWorkspace({
          id: ws,
          name: 'default',
          wrappedKey: newWrappedDataKey(root.key, ws),
          createdAt: now,
        });
        await tx.createApiKey({
          id: newId<ApiKeyId>('key'),
          workspaceId: ws,
          name: 'owner',
          role: 'owner',
          keyHash: sha256Hex(ownerKey),
          createdAt: now,
          revokedAt: null,
        });
        const instanceKey = await createInstanceKey(tx, root.key);
        await saveCaSet(tx, instanceKey, { current: ca, previous: [] });
        await saveSigningKeys(tx, instanceKey, newSigningKeySet(now));
        await writeRootKeyId(tx, rootKeyId(root.verifier));
      });
    } finally {
      await store.close();
    }
    const config: HomeConfig = {
      version: 1,
      instanceId,
      rootKey: { source: root.source, verifier: root.verifier },
      api: DEFAULT_API,
      proxy: DEFAULT_PROXY,
    };
    await writeConfig(paths, config);
    return { config, ownerKey, caFingerprint: ca.fingerprint256 };
  } catch (err) {
    await Promise.all(created.map((f) => rm(f, { force: true })));
    throw err;
  }
}

/** Creates the home (0700) or accepts an existing empty, private directory of ours. */
async function prepareDirectory(home: string): Promise<void> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const st = await lstat(home);
  if (!st.isDirectory()) throw new AirlockError('ERR_CONFIG', `${home} is not a directory`);
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new AirlockError('ERR_INSECURE_KEY_FILE', `${home} belongs to another user`);
  }
  if ((st.mode & 0o077) !== 0) {
    throw new AirlockError(
      'ERR_INSECURE_KEY_FILE',
      `${home} is readable by others: chmod 700 it or pick a new home`,
    );
  }
  const entries = await readdir(home);
  if (entries.length > 0) {
    throw new AirlockError(
      'ERR_HOME_EXISTS',
      `${home} is not empty: an Airlock home is already there`,
    );
  }
}
