import type { Clock, SecretId, WorkspaceId } from '../core/index.ts';
import { AirlockError, newId } from '../core/index.ts';
import { newDataKey, open, seal, secretAad, unwrapDataKey, wrapDataKey } from '../crypto/index.ts';
import type { SecretRecord, Store } from '../store/index.ts';
import { assertSecretName, assertSecretValue } from './names.ts';

/** What the API may show about a secret: never its value. */
export interface SecretMetadata {
  readonly name: string;
  readonly versions: number;
  readonly currentVersion: number;
  readonly createdAt: string;
  readonly rotatedAt: string | null;
}

export interface VaultOptions {
  readonly store: Store;
  readonly rootKey: Uint8Array;
  readonly clock: Clock;
  readonly maxSecretBytes: number;
}

/** A secret's current value as injected, and its version. */
interface Current {
  readonly value: string;
  readonly version: number;
}

/**
 * Secrets and their versions under envelope encryption (DESIGN, "Secrets at
 * rest"): each workspace's data key is wrapped by the root key, and each
 * version is sealed with AES-256-GCM under the data key with an AAD that
 * binds workspace id, secret id and version.
 *
 * Values go in through `create` and `rotate` and come out only through
 * `reveal`, which the proxy uses to inject; no API route calls it.
 */
export class Vault {
  readonly #store: Store;
  readonly #rootKey: Uint8Array;
  readonly #clock: Clock;
  readonly #maxBytes: number;
  readonly #dataKeys = new Map<WorkspaceId, Uint8Array>();
  /**
   * Current values already decrypted for injection, with their version, by
   * `workspace\0name`; null for a name the store has no secret of (a
   * reference). Dropped on any write.
   */
  readonly #current = new Map<string, Current | null>();
  /** Bumped by every write, so a read that raced a write never caches the old value. */
  #writes = 0;

  constructor(options: VaultOptions) {
    this.#store = options.store;
    this.#rootKey = options.rootKey;
    this.#clock = options.clock;
    this.#maxBytes = options.maxSecretBytes;
  }

  /** Creates a secret with version 1. A secret of that name must not exist (`ERR_CONFLICT`). */
  async create(ws: WorkspaceId, name: unknown, value: unknown): Promise<SecretMetadata> {
    assertSecretName(name);
    assertSecretValue(value, this.#maxBytes);
    const key = await this.#dataKey(ws);
    const id = newId<SecretId>('sec');
    const now = this.#clock.now();
    const ciphertext = seal(key, Buffer.from(value, 'utf8'), secretAad(ws, id, 1));
    await this.#store.createSecret(
      { id, workspaceId: ws, name, createdAt: now },
      { secretId: id, version: 1, ciphertext, createdAt: now },
    );
    this.#forget(ws, name);
    return this.#metadataOf(ws, name);
  }

  /** Adds a new version; earlier versions stay, encrypted, until pruned. */
  async rotate(ws: WorkspaceId, name: unknown, value: unknown): Promise<SecretMetadata> {
    assertSecretName(name);
    assertSecretValue(value, this.#maxBytes);
    const key = await this.#dataKey(ws);
    this.#forget(ws, name);
    await this.#store.transaction(async (tx) => {
      const secret = await tx.getSecretByName(ws, name);
      if (secret === null) throw notFound(name);
      const version = secret.currentVersion + 1;
      const ciphertext = seal(key, Buffer.from(value, 'utf8'), secretAad(ws, secret.id, version));
      await tx.addSecretVersion(ws, {
        secretId: secret.id,
        version,
        ciphertext,
        createdAt: this.#clock.now(),
      });
    });
    this.#forget(ws, name);
    return this.#metadataOf(ws, name);
  }

  /** Deletes a secret and every version of it. */
  async remove(ws: WorkspaceId, name: unknown): Promise<void> {
    assertSecretName(name);
    this.#forget(ws, name);
    const secret = await this.#store.getSecretByName(ws, name);
    const deleted = secret !== null && (await this.#store.deleteSecret(ws, secret.id));
    this.#forget(ws, name);
    if (!deleted) throw notFound(name);
  }

  async list(ws: WorkspaceId): Promise<SecretMetadata[]> {
    return (await this.#store.listSecrets(ws)).map(toMetadata);
  }

  async get(ws: WorkspaceId, name: unknown): Promise<SecretMetadata> {
    assertSecretName(name);
    return this.#metadataOf(ws, name);
  }

  /**
   * The current value of a secret as text, for the proxy's injection. Kept
   * decrypted in this process's memory after first use (the proxy needs it
   * on every request); any write to the secret drops it.
   */
  async current(ws: WorkspaceId, name: string): Promise<string> {
    const entry = await this.#cachedCurrent(ws, name);
    if (entry === null) throw notFound(name);
    return entry.value;
  }

  /**
   * The version `current` serves, or null when the vault holds no secret
   * of that name (a reference, say). For the audit record of an injection,
   * without a store read on every request.
   */
  async currentVersion(ws: WorkspaceId, name: string): Promise<number | null> {
    return (await this.#cachedCurrent(ws, name))?.version ?? null;
  }

  async #cachedCurrent(ws: WorkspaceId, name: string): Promise<Current | null> {
    const key = `${ws}\0${name}`;
    const cached = this.#current.get(key);
    if (cached !== undefined) return cached;
    const writes = this.#writes;
    const revealed = await this.#revealCurrent(ws, name);
    const entry =
      revealed === null
        ? null
        : { value: revealed.value.toString('utf8'), version: revealed.version };
    if (writes === this.#writes) this.#current.set(key, entry);
    return entry;
  }

  /**
   * The current value of a secret, for injection only. Throws `ERR_DECRYPT`
   * when the ciphertext does not belong where it is stored.
   */
  async reveal(ws: WorkspaceId, name: string): Promise<Buffer> {
    const revealed = await this.#revealCurrent(ws, name);
    if (revealed === null) throw notFound(name);
    return revealed.value;
  }

  /** The current version and its plaintext; null when there is no such secret. */
  async #revealCurrent(
    ws: WorkspaceId,
    name: string,
  ): Promise<{ value: Buffer; version: number } | null> {
    const secret = await this.#store.getSecretByName(ws, name);
    if (secret === null) return null;
    const version = await this.#store.getSecretVersion(ws, secret.id, secret.currentVersion);
    if (version === null) return null;
    const key = await this.#dataKey(ws);
    const value = Buffer.from(
      open(key, version.ciphertext, secretAad(ws, secret.id, version.version)),
    );
    return { value, version: version.version };
  }

  #forget(ws: WorkspaceId, name: string): void {
    this.#writes++;
    this.#current.delete(`${ws}\0${name}`);
  }

  async #metadataOf(ws: WorkspaceId, name: string): Promise<SecretMetadata> {
    const secret = await this.#store.getSecretByName(ws, name);
    if (secret === null) throw notFound(name);
    return toMetadata(secret);
  }

  async #dataKey(ws: WorkspaceId): Promise<Uint8Array> {
    const cached = this.#dataKeys.get(ws);
    if (cached !== undefined) return cached;
    const workspace = await this.#store.getWorkspace(ws);
    if (workspace === null) throw new AirlockError('ERR_NOT_FOUND', 'no such workspace');
    const key = unwrapDataKey(this.#rootKey, workspace.wrappedKey, ws);
    this.#dataKeys.set(ws, key);
    return key;
  }
}

/** Creates the wrapped data key for a new workspace. */
export function newWrappedDataKey(rootKey: Uint8Array, ws: WorkspaceId): Uint8Array {
  return wrapDataKey(rootKey, newDataKey(), ws);
}

function toMetadata(s: SecretRecord): SecretMetadata {
  return {
    name: s.name,
    versions: s.versionCount,
    currentVersion: s.currentVersion,
    createdAt: new Date(s.createdAt).toISOString(),
    rotatedAt: s.rotatedAt === null ? null : new Date(s.rotatedAt).toISOString(),
  };
}

function notFound(name: string): AirlockError {
  return new AirlockError('ERR_NOT_FOUND', `no secret named ${name}`);
}
