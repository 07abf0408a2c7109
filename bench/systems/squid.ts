import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, run, startService, waitForPort } from '../lib/proc.ts';
import { type BenchSystem, bearer, type SystemContext } from './types.ts';

const CERTGEN = '/usr/lib/squid/security_file_certgen';

function squidConf(o: { dir: string; port: number; ctx: SystemContext; sslDb: string }): string {
  return `# Written by bench/systems/squid.ts for one bench run.
http_port 127.0.0.1:${o.port} ssl-bump tls-cert=${o.ctx.pki.peerCaPath} tls-key=${o.ctx.pki.peerKeyPath} generate-host-certificates=on dynamic_cert_mem_cache_size=16MB
sslcrtd_program ${CERTGEN} -s ${o.sslDb} -M 16MB
sslcrtd_children 4 startup=1 idle=1
acl step1 at_step SslBump1
ssl_bump peek step1
ssl_bump bump all
tls_outgoing_options cafile=${o.ctx.pki.upstreamCaPath}
hosts_file ${o.dir}/hosts
acl bench_port port ${o.ctx.originPort}
acl CONNECT method CONNECT
http_access allow localhost bench_port
http_access deny all
request_header_access Authorization deny all
request_header_add Authorization "${bearer(o.ctx.secret)}" all
cache deny all
via off
forwarded_for delete
pid_filename ${o.dir}/squid.pid
cache_log ${o.dir}/cache.log
access_log none
cache_store_log none
logfile_rotate 0
coredump_dir ${o.dir}
cache_effective_user proxy
max_filedescriptors 16384
shutdown_lifetime 1 seconds
client_idle_pconn_timeout 10 minutes
`;
}

/**
 * Starts `squid` (Debian's squid-openssl) in the foreground (`-N`, one
 * process plus its certificate helper) with `ssl_bump` (peek, then bump)
 * signing with the bench's ECDSA interception CA, full upstream
 * verification, caching off, and `request_header_access`/`request_header_add`
 * replacing `Authorization`.
 */
export async function startSquid(ctx: SystemContext): Promise<BenchSystem> {
  const dir = join(ctx.dir, 'squid');
  await mkdir(dir, { recursive: true });
  const sslDb = join(dir, 'ssl_db');
  await run(CERTGEN, ['-c', '-s', sslDb, '-M', '16MB']);
  await writeFile(join(dir, 'hosts'), `127.0.0.1 ${ctx.host}\n`);
  const port = await freePort();
  const conf = join(dir, 'squid.conf');
  await writeFile(conf, squidConf({ dir, port, ctx, sslDb }));
  // Squid drops to the proxy user; it must read and write its directory and the keys.
  await run('chown', ['-R', 'proxy:proxy', dir, ctx.pki.peerKeyPath]);
  await run('chmod', ['755', ctx.dir]);
  const version = (await run('squid', ['-v'])).stdout.split('\n')[0]?.trim() ?? '?';
  await run('squid', ['-k', 'parse', '-f', conf]);
  const service = startService('squid', 'squid', ['-N', '-f', conf], join(dir, 'squid.log'));
  await waitForPort('127.0.0.1', port, 30_000);
  return {
    name: 'squid',
    version: version.replace(/^Squid Cache: Version\s*/, ''),
    target: {
      servername: ctx.host,
      port: ctx.originPort,
      address: '127.0.0.1',
      ca: ctx.pki.peerCaPem,
      proxy: { host: '127.0.0.1', port, auth: null },
      extraHeaders: '',
    },
    pid: service.child.pid ?? null,
    scenarios: null,
    config:
      'squid -N; http_port ssl-bump (peek step1, bump all), generate-host-certificates, tls_outgoing_options cafile=FILE, cache deny all, request_header_access Authorization deny + request_header_add Authorization',
    stop: () => service.stop(),
  };
}
