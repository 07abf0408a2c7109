import { chmod, lstat, unlink } from 'node:fs/promises';
import type { Server } from 'node:net';
import { connect } from 'node:net';
import { AirlockError } from './core/index.ts';

/** Parses `HOST:PORT` (IPv6 as `[addr]:port`); port 0 picks a free one. */
export function parseListenAddress(text: string, what: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (host === undefined || !Number.isInteger(port) || port > 65535) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      `${what} must be HOST:PORT, e.g. 127.0.0.1:4781`,
    );
  }
  return { host, port };
}

/** Listens on TCP; `EADDRINUSE` becomes `ERR_ADDRESS_IN_USE`. */
export function listenTcp(
  server: Server,
  host: string,
  port: number,
): Promise<{ host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new AirlockError('ERR_ADDRESS_IN_USE', `${host}:${port} is already in use`, {
              cause: err,
            })
          : err,
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(
        typeof addr === 'object' && addr !== null
          ? { host: addr.address, port: addr.port }
          : { host, port },
      );
    });
  });
}

/**
 * Listens on a Unix socket with mode 0600. A stale socket file (nothing
 * answering) is replaced; a live one means another server: `ERR_ADDRESS_IN_USE`.
 */
export async function listenUnix(server: Server, path: string): Promise<void> {
  const existing = await lstat(path).catch(() => null);
  if (existing !== null) {
    if (!existing.isSocket())
      throw new AirlockError('ERR_ADDRESS_IN_USE', `${path} exists and is not a socket`);
    if (await answers(path))
      throw new AirlockError('ERR_ADDRESS_IN_USE', `a server is already listening on ${path}`);
    await unlink(path);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(path, 0o600);
}

/** True when something accepts connections on the Unix socket at `path`. */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
