import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NODE_FLAGS } from '../../bin/node-flags.js';
import { VERSION } from '../../src/cli/version.ts';
import { run, startService } from '../lib/proc.ts';
import type { BenchSystem, SystemContext } from './types.ts';

const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

async function listeningProxy(log: string, timeoutMs: number): Promise<{ port: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await readFile(log, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.includes('"msg":"listening"')) continue;
      const proxy = (JSON.parse(line) as { proxy: string }).proxy;
      return { port: Number(proxy.slice(proxy.lastIndexOf(':') + 1)) };
    }
    if (Date.now() > deadline) throw new Error(`airlock serve did not start; see ${log}`);
    await sleep(100);
  }
}

/**
 * Starts the real product: `airlock init` on a temp home, `airlock serve`
 * with the proxy and API on ephemeral loopback ports (trusting the bench's
 * upstream CA, resolving the origin's name to 127.0.0.1, allowing that
 * private address), then configures it only through the CLI: a secret, an
 * agent, a bearer service for the origin and a grant. The agent's key goes
 * in `Proxy-Authorization`.
 */
export async function startAirlock(
  ctx: SystemContext,
  variant: 'airlock' | 'airlock-tmpfs' = 'airlock',
): Promise<BenchSystem> {
  const parent = variant === 'airlock-tmpfs' ? '/dev/shm' : ctx.airlockHomeParent;
  const home = await mkdtemp(join(parent, 'airlock-bench-home-'));
  const node = process.execPath;
  const cli = async (args: string[], input?: string): Promise<string> =>
    (await run(node, [CLI, ...args, '--home', home], input === undefined ? {} : { input })).stdout;
  await cli(['init', '--json']);
  const authority = `${ctx.host}:${ctx.originPort}`;
  const log = join(ctx.dir, `${variant}.log`);
  const profileDir = ctx.profileDir === null ? null : join(ctx.profileDir, variant);
  if (profileDir !== null) await mkdir(profileDir, { recursive: true });
  // The flags `npx airlock` and `npm start` run with (bin/node-flags.js).
  const flags = [
    ...NODE_FLAGS,
    ...(profileDir === null ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]),
  ];
  const args = [
    ...flags,
    CLI,
    'serve',
    '--home',
    home,
    '--api',
    '127.0.0.1:0',
    '--proxy',
    '127.0.0.1:0',
    '--allow-private',
    '127.0.0.1/32',
    '--resolve',
    `${authority}:127.0.0.1`,
    '--upstream-ca',
    ctx.pki.upstreamCaPath,
  ];
  const service = startService('airlock', node, args, log);
  const { port } = await listeningProxy(log, 30_000);
  await cli(['secret', 'set', 'bench'], ctx.secret);
  const key = (await cli(['agent', 'add', 'bench'])).trim();
  if (!key.startsWith('alk_agent_')) throw new Error('airlock agent add printed no key');
  await cli([
    'service',
    'add',
    'bench',
    '--host',
    authority,
    '--secret',
    'bench',
    '--auth',
    'bearer',
    '--path',
    '/**',
  ]);
  await cli(['grant', 'bench', 'bench']);
  const ca = await cli(['ca', 'export']);
  return {
    name: variant,
    version: `${VERSION} (Node ${process.versions.node})`,
    target: {
      servername: ctx.host,
      port: ctx.originPort,
      address: '127.0.0.1',
      ca,
      proxy: { host: '127.0.0.1', port, auth: key },
      extraHeaders: '',
    },
    pid: service.child.pid ?? null,
    scenarios: null,
    config: `${variant === 'airlock-tmpfs' ? 'diagnostic: as airlock, with the home (store, audit log) on tmpfs; ' : ''}airlock serve --allow-private 127.0.0.1/32 --resolve ${authority}:127.0.0.1 --upstream-ca FILE; secret, agent, bearer service (${authority}, /**) and grant set with the CLI; Node flags ${NODE_FLAGS.join(' ')}${ctx.profileDir === null ? '' : '; run with --cpu-prof'}`,
    stop: async () => {
      await service.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}
