import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { AirlockError } from '../core/index.ts';

/** A host account `airlock run --user` starts the agent (and bwrap) as, from `/etc/passwd`. */
export interface RunUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

/** A POSIX-ish user name (useradd's rule, with the optional trailing `$` of machine accounts), or a uid. */
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?$/;
const UID = /^[0-9]{1,10}$/;

/** Capabilities switching user needs: chown the run's files (0), setgroups/setgid (6), setuid (7). */
const NEEDED_CAPS = (1n << 0n) | (1n << 6n) | (1n << 7n);

/**
 * True when this process may start another user's process and hand it
 * files: root, or effective `CAP_CHOWN`, `CAP_SETGID` and `CAP_SETUID`
 * (capabilities(7)). Read from `/proc/self/status`; without `/proc`, only
 * root qualifies.
 */
async function canSwitchUser(): Promise<boolean> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => null);
  const hex = status === null ? undefined : /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (hex === undefined) return process.geteuid?.() === 0;
  return (BigInt(`0x${hex}`) & NEEDED_CAPS) === NEEDED_CAPS;
}

/** The passwd entry whose name (or, for a number, uid) is `spec`; null when there is none. */
function findEntry(passwd: string, spec: string): RunUser | null {
  const byUid = UID.test(spec);
  for (const line of passwd.split('\n')) {
    const [name, , uidText, gidText, , home] = line.split(':');
    if (name === undefined || home === undefined || name.startsWith('+')) continue;
    const uid = Number(uidText);
    const gid = Number(gidText);
    if (!UID.test(uidText ?? '') || !UID.test(gidText ?? '')) continue;
    if (byUid ? uid === Number(spec) : name === spec) return { name, uid, gid, home };
  }
  return null;
}

/**
 * Resolves `airlock run --user SPEC` (a user name or a numeric uid) before
 * anything starts: refuses odd input (empty, a leading `-`, anything that is
 * not a plain name or number), a process that cannot switch user (not root,
 * no `CAP_SETUID`), and a user `passwdFile` does not list, each with
 * `ERR_INVALID_ARGUMENT`. Only the passwd file is read, not NSS (LDAP,
 * sssd): the accounts of containers and CI live there.
 */
export async function resolveRunUser(spec: string, passwdFile = '/etc/passwd'): Promise<RunUser> {
  if (!NAME.test(spec) && !UID.test(spec)) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      `--user takes a user name or a numeric uid, got "${spec.slice(0, 40)}"`,
    );
  }
  if (!(await canSwitchUser())) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      '--user needs root (or CAP_SETUID, CAP_SETGID and CAP_CHOWN): run airlock run --user as root, or leave --user out',
    );
  }
  let passwd: string;
  try {
    passwd = await readFile(passwdFile, 'utf8');
  } catch (cause) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', `--user: cannot read ${passwdFile}`, { cause });
  }
  const user = findEntry(passwd, spec);
  if (user === null) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', `--user ${spec}: no such user in ${passwdFile}`);
  }
  return user;
}

/**
 * The subset of `paths` that `user` can reach (`test -e` as that user, so
 * the kernel decides, ACLs included). bwrap runs as the user, so it can
 * neither mount over nor bind what the user cannot reach; and what the user
 * cannot reach needs no hiding.
 */
export function reachableAs(user: RunUser, paths: readonly string[]): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      '/bin/sh',
      [
        '-c',
        `for p in "$@"; do if [ -e "$p" ]; then printf '%s\\0' "$p"; fi; done`,
        'sh',
        ...paths,
      ],
      { uid: user.uid, gid: user.gid, cwd: '/', env: {}, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(new Set(out.split('\0').filter((p) => p !== '')));
      else
        reject(new AirlockError('ERR_INVALID_ARGUMENT', `--user ${user.name}: cannot run as it`));
    });
  });
}
