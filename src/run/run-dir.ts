import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates } from 'node:tls';

/**
 * The trust bundle an agent gets: the system's roots (or Node's bundled
 * Mozilla roots where the system has none), then the Airlock CA bundle, so
 * clients that replace their roots with `SSL_CERT_FILE` or
 * `REQUESTS_CA_BUNDLE` still reach hosts outside Airlock (blind tunnels)
 * and trust Airlock's leaves for the ones it intercepts.
 */
export function caBundle(airlockPem: string): string {
  let roots = getCACertificates('system');
  if (roots.length === 0) roots = getCACertificates('bundled');
  const unique = [...new Set(roots.map((r) => r.trim()))];
  return `${unique.join('\n')}\n${airlockPem.trim()}\n`;
}

/** A private temporary directory for one run: the CA bundle lives here. */
export interface RunDir {
  readonly dir: string;
  /** `ca-bundle.pem` inside `dir`. */
  readonly caFile: string;
  /** Removes the directory and everything in it; safe to call twice. */
  remove(): Promise<void>;
}

/**
 * Creates a private (0700) directory under the system temp directory and
 * writes the CA bundle into it (0600). Nothing secret is ever written
 * there: the bundle holds only certificates.
 */
export async function createRunDir(bundlePem: string, base: string = tmpdir()): Promise<RunDir> {
  const dir = await mkdtemp(join(base, 'airlock-run-'));
  await chmod(dir, 0o700);
  const caFile = join(dir, 'ca-bundle.pem');
  await writeFile(caFile, bundlePem, { mode: 0o600, flag: 'wx' });
  return { dir, caFile, remove: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Writes the CA bundle as `airlock-ca-bundle.pem` into an existing
 * directory (`airlock env --out DIR`, to mount into a container) and
 * returns its path. An existing file is replaced.
 */
export async function writeCaFile(dir: string, bundlePem: string): Promise<string> {
  const file = join(dir, 'airlock-ca-bundle.pem');
  await writeFile(file, bundlePem, { mode: 0o644 });
  return file;
}
