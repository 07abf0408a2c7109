// The SSE origin behind nginx (`location /sse`, proxy_buffering off):
// nginx cannot hold a response open and emit events on a timer itself.
// Plain HTTP on loopback; prints its port on stdout.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Delay before the first event, and between events. */
const EVENT_GAP_MS = Number(process.env.BENCH_SSE_GAP_MS ?? 20);
const EVENTS = 4;

const server = createServer((req, res) => {
  if (req.url !== '/sse') {
    res.writeHead(404, { 'content-length': 0 }).end();
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  let n = 0;
  const tick = (): void => {
    res.write(`id: ${n}\ndata: {"n":${n}}\n\n`);
    n++;
    if (n < EVENTS) setTimeout(tick, EVENT_GAP_MS);
    else res.end();
  };
  setTimeout(tick, EVENT_GAP_MS);
});
server.keepAliveTimeout = 300_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
});
