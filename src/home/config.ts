import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { AirlockError } from '../core/index.ts';
import { parseRootKeySource, type RootKeySource } from '../crypto/index.ts';

/** The root key as the home records it: where it comes from, and how to recognise it. */
export interface RootKeyEntry {
  readonly source: RootKeySource;
  /** Sealed known bytes: a wrong key is detected before anything is touched. */
  readonly verifier: string;
}

/**
 * `config.json` in the home. Plain data, written atomically (temp file,
 * fsync, rename), so a crash leaves the previous version intact.
 */
export interface HomeConfig {
  readonly version: 1;
  /** Unique to this install: names the CA and the audit instance. */
  readonly instanceId: string;
  readonly rootKey: RootKeyEntry;
  /**
   * Set only while `airlock key rotate` is between its steps. The store's
   * `root_key_id` says which of the two entries the data keys are wrapped
   * under, so an interrupted rotation is finished or rolled back at start.
   */
  readonly pendingRootKey?: RootKeyEntry;
  readonly api: string;
  readonly proxy: string;
}

export const DEFAULT_API = '127.0.0.1:4781';
export const DEFAULT_PROXY = '127.0.0.1:4780';

/** Files inside a home. */
export interface HomePaths {
  readonly home: string;
  readonly config: string;
  readonly store: string;
  readonly socket: string;
  /** The proxy's Unix socket (0600), alone in its directory so `airlock run` can bind-mount that into a sandbox. */
  readonly proxySocket: string;
  readonly rootKeyFile: string;
}

/** The home is `--home`, else `$AIRLOCK_HOME`, else `~/.airlock`. */
export function resolveHome(flag: string | undefined, env: NodeJS.ProcessEnv): HomePaths {
  const chosen = flag ?? env.AIRLOCK_HOME ?? join(homedir(), '.airlock');
  const home = isAbsolute(chosen) ? chosen : resolve(chosen);
  return {
    home,
    config: join(home, 'config.json'),
    store: join(home, 'airlock.db'),
    socket: join(home, 'admin.sock'),
    proxySocket: join(home, 'proxy', 'proxy.sock'),
    rootKeyFile: join(home, 'root.key'),
  };
}

/** Reads and checks `config.json`. A missing home is `ERR_HOME_MISSING`; a bad file is `ERR_CONFIG`. */
export async function readConfig(paths: HomePaths): Promise<HomeConfig> {
  let text: string;
  try {
    text = await readFile(paths.config, 'utf8');
  } catch (cause) {
    throw new AirlockError(
      'ERR_HOME_MISSING',
      `no Airlock home at ${paths.home} (run \`airlock init\`, or pass --home)`,
      { cause },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new AirlockError('ERR_CONFIG', `${paths.config} is not valid JSON`, { cause });
  }
  return parseConfig(parsed, paths.config);
}

function parseConfig(value: unknown, where: string): HomeConfig {
  const bad = (what: string) => new AirlockError('ERR_CONFIG', `${where}: ${what}`);
  if (typeof value !== 'object' || value === null) throw bad('not an object');
  const v = value as Record<string, unknown>;
  if (v.version !== 1) throw bad('unsupported version');
  if (typeof v.instanceId !== 'string' || !/^[a-z0-9_]{8,64}$/.test(v.instanceId)) {
    throw bad('bad instanceId');
  }
  if (typeof v.api !== 'string' || typeof v.proxy !== 'string') throw bad('bad api or proxy');
  const rootKey = parseRootKeyEntry(v.rootKey, bad);
  const config: HomeConfig = {
    version: 1,
    instanceId: v.instanceId,
    rootKey,
    api: v.api,
    proxy: v.proxy,
  };
  if (v.pendingRootKey === undefined) return config;
  return { ...config, pendingRootKey: parseRootKeyEntry(v.pendingRootKey, bad) };
}

function parseRootKeyEntry(value: unknown, bad: (what: string) => AirlockError): RootKeyEntry {
  if (typeof value !== 'object' || value === null) throw bad('missing rootKey');
  const { source, verifier } = value as Record<string, unknown>;
  if (typeof verifier !== 'string') throw bad('missing rootKey.verifier');
  return { source: parseRootKeySource(source), verifier };
}

/** Writes `config.json` atomically: a temp file (0600), fsync, rename. */
export async function writeConfig(paths: HomePaths, config: HomeConfig): Promise<void> {
  const temp = `${paths.config}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${JSON.stringify(config, null, 2)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, paths.config);
  } catch (err) {
    await unlink(temp).catch(() => {});
    throw err;
  }
}

/** A new install id: lower-case base36, 16 characters. */
export function newInstanceId(): string {
  return `inst_${BigInt(`0x${randomBytes(10).toString('hex')}`).toString(36)}`;
}
