import { join } from 'node:path';
import { startJsonChild } from '../lib/proc.ts';
import type { BenchSystem, SystemContext } from './types.ts';

/**
 * Starts ./floor-server.ts, the diagnostic `node-tls-floor`: a bare Node TLS
 * server feeding an `http.Server`, reached directly (no CONNECT). It takes
 * part in the idle-tunnel scenario only, to show what any Node TLS
 * terminator keeps per idle connection on this machine.
 */
export async function startFloor(ctx: SystemContext): Promise<BenchSystem> {
  const child = await startJsonChild<{ port: number; ca: string }>(
    join(import.meta.dirname, 'floor-server.ts'),
    [],
    { BENCH_HOST: ctx.host },
    join(ctx.dir, 'floor.log'),
  );
  return {
    name: 'node-tls-floor',
    version: `Node ${process.versions.node}, OpenSSL ${process.versions.openssl}`,
    target: {
      servername: ctx.host,
      port: child.hello.port,
      address: '127.0.0.1',
      ca: child.hello.ca,
      proxy: null,
      extraHeaders: '',
    },
    pid: child.pid,
    config:
      'diagnostic, idle scenario only: node:tls server socket handed to an http.Server; no proxying',
    scenarios: ['idle'],
    stop: () => child.stop(),
  };
}
