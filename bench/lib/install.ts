import { access, constants } from 'node:fs/promises';
import { run } from './proc.ts';

/** A Debian package the bench needs, and how to tell it is usable. */
interface Requirement {
  readonly pkg: string;
  readonly check: () => Promise<boolean>;
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function squidHasOpenssl(): Promise<boolean> {
  if (!(await executable('/usr/sbin/squid'))) return false;
  const v = await run('/usr/sbin/squid', ['-v'], { allowFail: true });
  return (
    v.stdout.includes('--with-openssl') &&
    (await executable('/usr/lib/squid/security_file_certgen'))
  );
}

const REQUIREMENTS: Readonly<Record<'nginx' | 'mitmproxy' | 'squid', Requirement>> = {
  nginx: { pkg: 'nginx', check: () => executable('/usr/sbin/nginx') },
  mitmproxy: { pkg: 'mitmproxy', check: () => executable('/usr/bin/mitmdump') },
  squid: { pkg: 'squid-openssl', check: squidHasOpenssl },
};

export type Tool = keyof typeof REQUIREMENTS;

/** What is usable after `ensureTools`, and why anything is not. */
export interface ToolStatus {
  readonly available: ReadonlySet<Tool>;
  readonly notes: readonly string[];
}

/**
 * Installs with `apt-get` whichever of nginx, mitmproxy and squid-openssl is
 * missing (running `apt-get update` once first). Services are not started
 * (`policy-rc.d` in containers refuses, and the bench starts its own). A
 * failed install is reported, not thrown: that system is skipped with a note.
 */
export async function ensureTools(
  tools: readonly Tool[],
  log: (s: string) => void,
): Promise<ToolStatus> {
  const available = new Set<Tool>();
  const notes: string[] = [];
  const missing: Tool[] = [];
  for (const t of tools) {
    if (await REQUIREMENTS[t].check()) available.add(t);
    else missing.push(t);
  }
  if (missing.length === 0) return { available, notes };
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log(`installing with apt-get: ${missing.map((t) => REQUIREMENTS[t].pkg).join(' ')}`);
  const update = await run('apt-get', ['update'], { env, allowFail: true });
  if (update.code !== 0) notes.push(`apt-get update failed: ${update.stderr.trim().slice(-300)}`);
  for (const t of missing) {
    const pkg = REQUIREMENTS[t].pkg;
    const r = await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], {
      env,
      allowFail: true,
    });
    if (await REQUIREMENTS[t].check()) available.add(t);
    else
      notes.push(`${pkg} could not be installed (exit ${r.code}): ${r.stderr.trim().slice(-300)}`);
  }
  return { available, notes };
}
