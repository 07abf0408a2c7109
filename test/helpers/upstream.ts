import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { acceptKey, echoWebSocket } from './websocket.ts';

/** What the upstream saw of one request. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  body: string;
}

export type UpstreamHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  record: RecordedRequest,
) => void | Promise<void>;

export interface TestUpstream {
  readonly port: number;
  /** Every request received, in order (WebSocket handshakes included). */
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface UpstreamOptions {
  /** Certificate and key for HTTPS; plain HTTP when absent. */
  readonly tls?: { cert: string; key: string };
  /** Routes by exact path; anything else gets `200 {"ok":true}` after its body is read. */
  readonly routes?: Readonly<Record<string, UpstreamHandler>>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      body += d;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

/**
 * Starts a test upstream on 127.0.0.1:0 that records the method, path and
 * headers of every request, and echoes WebSockets. Tests assert on
 * `requests` (for example that a refused request never arrived).
 */
export async function startUpstream(options: UpstreamOptions = {}): Promise<TestUpstream> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Duplex>();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const record: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: '',
    };
    requests.push(record);
    const route = options.routes?.[(req.url ?? '').split('?')[0] ?? ''];
    if (route) {
      void Promise.resolve(route(req, res, record)).catch(() => res.destroy());
      return;
    }
    void readBody(req).then((body) => {
      record.body = body;
      const out = JSON.stringify({ ok: true, method: record.method, url: record.url });
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(out),
      });
      res.end(out);
    });
  };
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
    : createHttpServer(onRequest);
  server.on('connection', (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('secureConnection', (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      body: '',
    });
    const key = req.headers['sec-websocket-key'];
    if (typeof key !== 'string') {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`,
    );
    echoWebSocket(socket, head);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
