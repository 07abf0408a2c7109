import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, run, startService, waitForPort } from '../lib/proc.ts';
import { type BenchSystem, bearer, type SystemContext } from './types.ts';

/**
 * The addon: sets the header on requests to the origin (in `requestheaders`,
 * so it holds with streamed bodies), streams event-stream responses (as
 * mitmproxy's docs advise for SSE), and dials 127.0.0.1 for the origin's
 * name, which is in no DNS.
 */
const ADDON = `import os
from mitmproxy import http

HOST = os.environ["BENCH_HOST"]
AUTH = os.environ["BENCH_AUTH"]


def server_connect(data):
    host, port = data.server.address
    if host == HOST:
        data.server.address = ("127.0.0.1", port)


def requestheaders(flow: http.HTTPFlow) -> None:
    if flow.request.pretty_host == HOST:
        flow.request.headers["Authorization"] = AUTH


def responseheaders(flow: http.HTTPFlow) -> None:
    if flow.response.headers.get("content-type", "").startswith("text/event-stream"):
        flow.response.stream = True
`;

/**
 * Starts `mitmdump` on loopback with the bench's ECDSA interception CA, full
 * upstream verification against the bench's upstream CA, bodies over 1 MiB
 * streamed (`stream_large_bodies`), and no flow output.
 */
export async function startMitmproxy(ctx: SystemContext): Promise<BenchSystem> {
  const confdir = join(ctx.dir, 'mitmproxy');
  await mkdir(confdir, { recursive: true });
  const key = await readFile(ctx.pki.peerKeyPath, 'utf8');
  await writeFile(join(confdir, 'mitmproxy-ca.pem'), `${key}${ctx.pki.peerCaPem}`, {
    mode: 0o600,
  });
  await writeFile(join(confdir, 'mitmproxy-ca-cert.pem'), ctx.pki.peerCaPem);
  const addon = join(confdir, 'bench_addon.py');
  await writeFile(addon, ADDON);
  const port = await freePort();
  const version = (await run('mitmdump', ['--version'])).stdout.split('\n')[0]?.trim() ?? '?';
  const options = [
    '--listen-host',
    '127.0.0.1',
    '--listen-port',
    String(port),
    '--set',
    `confdir=${confdir}`,
    '--set',
    `ssl_verify_upstream_trusted_ca=${ctx.pki.upstreamCaPath}`,
    '--set',
    'stream_large_bodies=1m',
    '--set',
    'flow_detail=0',
    '--set',
    'termlog_verbosity=warn',
    '-s',
    addon,
  ];
  const service = startService('mitmproxy', 'mitmdump', options, join(ctx.dir, 'mitmproxy.log'), {
    env: { ...process.env, BENCH_HOST: ctx.host, BENCH_AUTH: bearer(ctx.secret) },
  });
  await waitForPort('127.0.0.1', port, 60_000);
  return {
    name: 'mitmproxy',
    version: version.replace(/^Mitmproxy:\s*/, ''),
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
    config: `mitmdump ${options.slice(4).join(' ').replace(confdir, 'DIR').replace(ctx.pki.upstreamCaPath, 'FILE').replace(addon, 'addon.py')}`,
    stop: () => service.stop(),
  };
}
