import { lstat, open, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { scanText } from './scan-text.ts';
import type { FileKind, Finding, FingerprintSet, ScanReport, UnresolvedRef } from './types.ts';

/** Largest file scanned: 2 MiB. Larger ones are listed as skipped. */
const MAX_FILE_BYTES = 2 * 1024 * 1024;
const SKIP_DIRS: ReadonlySet<string> = new Set(['.git', 'node_modules', '.hg', '.svn']);
const PROFILES: ReadonlySet<string> = new Set([
  '.bashrc',
  '.bash_profile',
  '.bash_login',
  '.profile',
  '.zshrc',
  '.zprofile',
  '.zshenv',
  '.envrc',
  '.netrc',
  '.npmrc',
  '.pypirc',
  '.git-credentials',
  'config.fish',
]);

/** Classifies a file by its path: dotenv, shell profile, JSON, YAML, CI or other. */
export function fileKind(path: string): FileKind {
  const name = basename(path);
  const p = path.replaceAll('\\', '/');
  if (
    p.includes('/.github/workflows/') ||
    p.includes('/.circleci/') ||
    name === '.gitlab-ci.yml' ||
    name === '.travis.yml' ||
    name === 'azure-pipelines.yml' ||
    name === 'bitbucket-pipelines.yml' ||
    name === 'Jenkinsfile'
  ) {
    return 'ci';
  }
  if (name === '.env' || name.startsWith('.env.') || name.endsWith('.env')) {
    return 'env';
  }
  if (PROFILES.has(name)) return 'profile';
  if (/\.json5?$/.test(name)) return 'json';
  if (/\.ya?ml$/.test(name)) return 'yaml';
  return 'other';
}

export interface ScanOptions {
  readonly fingerprints: FingerprintSet | null;
  readonly unresolved: readonly UnresolvedRef[];
}

async function readSmall(path: string): Promise<Buffer | string> {
  const handle = await open(path, 'r');
  try {
    const st = await handle.stat();
    if (st.size > MAX_FILE_BYTES) return `larger than ${MAX_FILE_BYTES} bytes`;
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < st.size) {
      const { bytesRead } = await handle.read(buf, got, st.size - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return buf.subarray(0, got);
  } finally {
    await handle.close();
  }
}

/**
 * Scans files and directory trees for plaintext credentials. Directories
 * are walked without following symlinks, skipping `.git` and
 * `node_modules`; binary files (a NUL in the first 8 KiB) and files over
 * 2 MiB are skipped and listed. Paths are reported as given.
 */
export async function scanPaths(
  paths: readonly string[],
  options: ScanOptions,
): Promise<ScanReport> {
  const findings: Finding[] = [];
  const skipped: { path: string; reason: string }[] = [];
  let filesScanned = 0;
  const visit = async (path: string, top: boolean): Promise<void> => {
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(path);
    } catch {
      skipped.push({ path, reason: 'cannot be read' });
      return;
    }
    if (st.isSymbolicLink() && !top) return;
    if (st.isDirectory()) {
      if (!top && SKIP_DIRS.has(basename(path))) return;
      let entries: string[];
      try {
        entries = (await readdir(path)).sort();
      } catch {
        skipped.push({ path, reason: 'cannot be listed' });
        return;
      }
      for (const e of entries) await visit(join(path, e), false);
      return;
    }
    if (!st.isFile() && !(top && st.isSymbolicLink())) return;
    let bytes: Buffer | string;
    try {
      bytes = await readSmall(path);
    } catch {
      skipped.push({ path, reason: 'cannot be read' });
      return;
    }
    if (typeof bytes === 'string') {
      skipped.push({ path, reason: bytes });
      return;
    }
    if (bytes.subarray(0, 8192).includes(0)) {
      skipped.push({ path, reason: 'binary' });
      return;
    }
    filesScanned++;
    findings.push(...scanText(bytes.toString('utf8'), path, fileKind(path), options.fingerprints));
  };
  for (const p of paths) await visit(p, true);
  return { findings, unresolved: options.unresolved, filesScanned, skipped };
}
