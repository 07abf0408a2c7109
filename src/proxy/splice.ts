import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * Pipes `a` and `b` into each other; when either side ends, errors or stays
 * idle for `idleMs`, both are torn down. Used for upgraded WebSockets and
 * blind tunnels.
 */
export function splice(a: Duplex, b: Duplex, idleMs: number): void {
  const teardown = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', teardown);
  b.on('error', teardown);
  a.once('close', teardown);
  b.once('close', teardown);
  if (a instanceof Socket) a.setTimeout(idleMs, teardown);
  if (b instanceof Socket) b.setTimeout(idleMs, teardown);
  a.pipe(b);
  b.pipe(a);
}
