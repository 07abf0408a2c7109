import { spawn } from 'node:child_process';
import { mkdir, open, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchPki } from '../lib/pki.ts';
import { freePort, run, type Service, startService, waitForPort } from '../lib/proc.ts';

/** The local HTTPS origin every system reaches: nginx, with the SSE server behind it. */
export interface Origin {
  readonly port: number;
  readonly nginxVersion: string;
  /** Bytes of `/big` and the most `/upload/…` accepts. */
  readonly bigBytes: number;
  /** nginx master plus its workers, and the SSE server. */
  readonly pids: () => number[];
  stop(): Promise<void>;
}

/** Delay before the SSE server's first event, and between its events. */
export const SSE_EVENT_GAP_MS = 20;

/** Bytes of `GET /medium`: an answer that fills several TLS records. */
export const MEDIUM_BYTES = 64 * 1024;

/** The response of `GET /small`. */
export const SMALL_JSON = '{"ok":true,"service":"bench","items":[1,2,3],"note":"small json"}';

function nginxConf(o: {
  dir: string;
  shm: string;
  port: number;
  ssePort: number;
  pki: BenchPki;
}): string {
  return `# Written by bench/upstream/origin.ts for one bench run.
daemon off;
master_process on;
user root root;
worker_processes auto;
worker_rlimit_nofile 16384;
pid ${o.dir}/nginx.pid;
error_log ${o.dir}/nginx-error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  default_type application/octet-stream;
  keepalive_requests 10000000;
  keepalive_timeout 600s;
  client_body_temp_path ${o.shm}/body;
  proxy_temp_path ${o.shm}/proxy;
  fastcgi_temp_path ${o.shm}/fastcgi;
  uwsgi_temp_path ${o.shm}/uwsgi;
  scgi_temp_path ${o.shm}/scgi;
  server {
    listen 127.0.0.1:${o.port} ssl;
    server_name api.bench.local;
    ssl_certificate ${o.pki.upstreamCertPath};
    ssl_certificate_key ${o.pki.upstreamKeyPath};
    ssl_protocols TLSv1.2 TLSv1.3;
    location = /small {
      default_type application/json;
      return 200 '${SMALL_JSON}';
    }
    location = /medium {
      alias ${o.shm}/medium.bin;
    }
    location = /big {
      alias ${o.shm}/big.bin;
    }
    # The upload sink: WebDAV PUT into tmpfs, answered once the whole body is in.
    location /upload/ {
      root ${o.shm};
      dav_methods PUT;
      create_full_put_path on;
      client_max_body_size 128m;
      client_body_buffer_size 1m;
    }
    location = /sse {
      proxy_pass http://127.0.0.1:${o.ssePort};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
    }
  }
}
`;
}

async function startSse(dir: string): Promise<{ port: number; service: Service }> {
  const log = join(dir, 'sse.log');
  const child = spawn(process.execPath, [join(import.meta.dirname, 'sse-server.ts')], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BENCH_SSE_GAP_MS: String(SSE_EVENT_GAP_MS) },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.setEncoding('utf8').once('data', (d: string) => resolve(Number(d.trim())));
    child.once('exit', (code) => reject(new Error(`SSE server exited ${code}`)));
  });
  const errLog = await open(log, 'a');
  child.stderr.on('data', (d: Buffer) => void errLog.write(d));
  return {
    port,
    service: {
      name: 'sse',
      child,
      log,
      async stop() {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await exited;
        }
        await errLog.close();
      },
    },
  };
}

/**
 * Starts the origin on 127.0.0.1: nginx with TLS (the bench's upstream
 * certificate) serving `/small` (a small JSON body), `/medium` (64 KiB),
 * `/big` (`bigBytes` from tmpfs), `/upload/` (a PUT sink into tmpfs) and
 * `/sse` (proxied unbuffered to the Node SSE server).
 */
export async function startOrigin(dir: string, pki: BenchPki, bigBytes: number): Promise<Origin> {
  const shm = join('/dev/shm', `airlock-bench-${process.pid}`);
  await mkdir(join(shm, 'upload'), { recursive: true });
  await mkdir(join(shm, 'body'), { recursive: true });
  await writeFile(join(shm, 'big.bin'), Buffer.alloc(bigBytes, 0x62));
  await writeFile(join(shm, 'medium.bin'), Buffer.alloc(MEDIUM_BYTES, 0x6d));
  const sse = await startSse(dir);
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, nginxConf({ dir, shm, port, ssePort: sse.port, pki }));
  const version = (await run('nginx', ['-v'])).stderr.trim().replace('nginx version: ', '');
  const nginx = startService('nginx', 'nginx', ['-c', conf, '-p', dir], join(dir, 'nginx.log'));
  await waitForPort('127.0.0.1', port);
  return {
    port,
    nginxVersion: version,
    bigBytes,
    pids: () => [nginx.child.pid ?? 0, sse.service.child.pid ?? 0],
    async stop() {
      await nginx.stop();
      await sse.service.stop();
      await run('rm', ['-rf', shm]);
    },
  };
}
