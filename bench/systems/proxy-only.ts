import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { NODE_FLAGS } from '../../bin/node-flags.js';
import { startJsonChild } from '../lib/proc.ts';
import type { BenchSystem, SystemContext } from './types.ts';

/**
 * Starts `createProxy` alone (./proxy-only-server.ts) as a diagnostic system
 * `airlock-proxy`: the same proxy code as `airlock serve`, without the
 * store, vault, audit log or admin API around it.
 */
export async function startProxyOnly(ctx: SystemContext): Promise<BenchSystem> {
  const key = `alk_agent_${randomBytes(16).toString('hex')}`;
  const profileDir = ctx.profileDir === null ? null : join(ctx.profileDir, 'airlock-proxy');
  if (profileDir !== null) await mkdir(profileDir, { recursive: true });
  // The flags `npx airlock` and `npm start` run with (bin/node-flags.js).
  const flags = [
    ...NODE_FLAGS,
    ...(profileDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]),
  ];
  const child = await startJsonChild<{ port: number; ca: string }>(
    join(import.meta.dirname, 'proxy-only-server.ts'),
    flags,
    {
      BENCH_HOST: ctx.host,
      BENCH_ORIGIN_PORT: String(ctx.originPort),
      BENCH_AGENT_KEY: key,
      BENCH_SECRET: ctx.secret,
      BENCH_UPSTREAM_CA: ctx.pki.upstreamCaPem,
    },
    join(ctx.dir, 'airlock-proxy.log'),
  );
  return {
    name: 'airlock-proxy',
    version: 'src/proxy of the measured tree',
    target: {
      servername: ctx.host,
      port: ctx.originPort,
      address: '127.0.0.1',
      ca: child.hello.ca,
      proxy: { host: '127.0.0.1', port: child.hello.port, auth: key },
      extraHeaders: '',
    },
    pid: child.pid,
    config: `diagnostic: createProxy with an in-memory agent, binding, secret and CA; no store, vault, audit or admin API; Node flags ${NODE_FLAGS.join(' ')}`,
    scenarios: null,
    stop: () => child.stop(),
  };
}
