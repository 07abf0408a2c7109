import { chmod, chown, readdir } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { spliceTo } from './splice.ts';
import type { RunUser } from './user.ts';

/** A listening relay; `close` stops it and ends the connections it carries. */
export interface Relay {
  /** The socket `user` connects to. */
  readonly path: string;
  close(): Promise<void>;
}

/**
 * Listens on `path` (a Unix socket only `user` may connect to: its own,
 * mode 0600) and relays each connection to `target`, the server's proxy
 * socket, which lives in a directory only the server's owner can enter.
 * Each connection opens a new one to `target`, so a restarted server is
 * reached again. `path` must be in a directory nobody else can enter yet
 * (the run directory while it is still 0700): the socket is made before it
 * is handed over.
 */
export async function startRelay(path: string, target: string, user: RunUser): Promise<Relay> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = spliceTo(client, target);
    open.add(client).add(upstream);
    client.once('close', () => open.delete(client));
    upstream.once('close', () => open.delete(upstream));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      for (const socket of open) socket.destroy();
      server.close(() => resolve());
    });
  try {
    await chmod(path, 0o600);
    await chown(path, user.uid, user.gid);
  } catch (err) {
    await close();
    throw err;
  }
  return { path, close };
}

/**
 * Hands the run directory's files (the CA bundle) to `user`, read-only
 * (0400), and opens the directory to it: it stays root's but searchable
 * (0711), so nobody else can list it or open what is in it (the relay's
 * socket is already the user's, 0600), and the user cannot put anything
 * there that `airlock run`, as root, later removes.
 */
export async function shareRunDir(dir: string, user: RunUser): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isFile()) {
      await chmod(path, 0o400);
      await chown(path, user.uid, user.gid);
    } else if (!entry.isSocket()) {
      throw new TypeError(`unexpected entry in the run directory: ${entry.name}`);
    }
  }
  await chmod(dir, 0o711);
}
