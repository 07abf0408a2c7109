import { connect as netConnect, type Socket } from 'node:net';
import {
  createSecureContext,
  type SecureContext,
  type TLSSocket,
  connect as tlsConnect,
} from 'node:tls';

/** Where the load generator sends its requests: the origin, and the proxy in front of it (if any). */
export interface Target {
  /** The origin's name: SNI, certificate check, `CONNECT` target and `Host`. */
  readonly servername: string;
  /** The origin's port. */
  readonly port: number;
  /** Address dialled for a direct connection (the bench never asks DNS). */
  readonly address: string;
  /** PEM roots the client trusts: the upstream CA (direct) or the proxy's interception CA. */
  readonly ca: string;
  /** The proxy to `CONNECT` through; null for a direct connection. */
  readonly proxy: {
    readonly host: string;
    readonly port: number;
    readonly auth: string | null;
  } | null;
  /** Extra request header lines (`Name: value\r\n`), e.g. the credential on direct runs. */
  readonly extraHeaders: string;
}

/** One finished exchange as the client saw it. */
export interface Exchange {
  readonly status: number;
  /** Body bytes received (de-chunked). */
  readonly bodyBytes: number;
  /** `performance.now()` when the first body byte arrived, or NaN for an empty body. */
  readonly firstBodyAt: number;
  /** `performance.now()` when the response ended. */
  readonly endAt: number;
}

const CRLF2 = Buffer.from('\r\n\r\n');

/** Builds the request head once, so the hot loop writes a ready buffer. */
export function requestHead(
  target: Target,
  method: string,
  path: string,
  extra: { close?: boolean; contentLength?: number } = {},
): Buffer {
  let head = `${method} ${path} HTTP/1.1\r\nHost: ${target.servername}:${target.port}\r\n`;
  head += 'User-Agent: airlock-bench\r\nAccept: */*\r\n';
  head += target.extraHeaders;
  if (extra.contentLength !== undefined) head += `Content-Length: ${extra.contentLength}\r\n`;
  if (extra.close === true) head += 'Connection: close\r\n';
  return Buffer.from(`${head}\r\n`, 'latin1');
}

function readProxyReply(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf(CRLF2);
      if (end < 0) return;
      socket.off('data', onData);
      socket.off('error', reject);
      socket.pause();
      const line = buf.subarray(0, buf.indexOf('\r\n')).toString('latin1');
      if (!/^HTTP\/1\.[01] 200/.test(line)) {
        reject(new Error(`CONNECT refused: ${line}`));
        return;
      }
      // Nothing follows a 200 until our ClientHello; anything else is a protocol error.
      if (buf.length > end + 4) reject(new Error('bytes after the CONNECT reply'));
      else resolve();
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

function connected(socket: Socket): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
}

function secured(tls: TLSSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    tls.once('secureConnect', () => {
      tls.off('error', reject);
      resolve();
    });
    tls.once('error', reject);
  });
}

/**
 * Opens a TLS connection to the origin: directly, or by `CONNECT` through
 * the proxy and then TLS inside the tunnel (the proxy's leaf is checked
 * against `target.ca`). No session is reused, so every call costs full
 * handshakes, as a fresh CLI process pays them.
 */
export async function openConnection(target: Target): Promise<TLSSocket> {
  const options = {
    servername: target.servername,
    secureContext: contextFor(target.ca),
    ALPNProtocols: ['http/1.1'],
  };
  if (target.proxy === null) {
    const tls = tlsConnect({ ...options, host: target.address, port: target.port });
    await secured(tls);
    tls.setNoDelay(true);
    return tls;
  }
  const raw = netConnect({ host: target.proxy.host, port: target.proxy.port });
  raw.setNoDelay(true);
  await connected(raw);
  const authority = `${target.servername}:${target.port}`;
  const auth =
    target.proxy.auth === null
      ? ''
      : `Proxy-Authorization: Basic ${Buffer.from(`bench:${target.proxy.auth}`).toString('base64')}\r\n`;
  raw.write(`CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n${auth}\r\n`);
  await readProxyReply(raw);
  const tls = tlsConnect({ ...options, socket: raw });
  await secured(tls);
  return tls;
}

const contexts = new Map<string, SecureContext>();

/**
 * One client context per trusted CA, built once: passing `ca` to every
 * `tls.connect` would parse it and build a new X.509 store per connection,
 * a cost no real client pays per request and one that would make the load
 * generator the bottleneck of the new-tunnel scenario.
 */
function contextFor(ca: string): SecureContext {
  let c = contexts.get(ca);
  if (c === undefined) {
    c = createSecureContext({ ca });
    contexts.set(ca, c);
  }
  return c;
}

type Body =
  | { kind: 'length'; left: number }
  | { kind: 'chunked'; state: 'size' | 'data' | 'crlf' | 'trailer'; left: number; line: string }
  | { kind: 'close' };

/**
 * A minimal HTTP/1.1 client over one connection: one request at a time,
 * responses framed by `Content-Length` or chunked encoding, bodies counted
 * and dropped. It exists so the load generator costs far less per request
 * than any server it measures.
 */
export class Http1Connection {
  readonly socket: TLSSocket;
  #head: Buffer | null = null;
  #status = 0;
  #body: Body | null = null;
  #bytes = 0;
  #firstBodyAt = Number.NaN;
  #closing = false;
  #resolve: ((e: Exchange) => void) | null = null;
  #reject: ((err: Error) => void) | null = null;

  constructor(socket: TLSSocket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => {
      if (this.#body?.kind === 'close') this.#done();
      else this.#fail(new Error('connection closed mid-response'));
    });
  }

  /** Sends a request head (and optionally streams a body) and resolves when the whole response is in. */
  exchange(head: Buffer, body?: { chunk: Buffer; total: number }): Promise<Exchange> {
    if (this.#resolve !== null) throw new TypeError('one request at a time');
    const p = new Promise<Exchange>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.#head = null;
    this.#status = 0;
    this.#body = null;
    this.#bytes = 0;
    this.#firstBodyAt = Number.NaN;
    this.socket.write(head);
    if (body !== undefined) void this.#writeBody(body.chunk, body.total);
    return p;
  }

  async #writeBody(chunk: Buffer, total: number): Promise<void> {
    let left = total;
    while (left > 0 && !this.socket.destroyed) {
      const part = left >= chunk.length ? chunk : chunk.subarray(0, left);
      left -= part.length;
      if (!this.socket.write(part)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            this.socket.off('drain', done);
            this.socket.off('close', done);
            resolve();
          };
          this.socket.on('drain', done);
          this.socket.on('close', done);
        });
      }
    }
  }

  /**
   * False once the server said `Connection: close` or the socket ended: the
   * next request needs a new connection, as any keep-alive client would open.
   */
  get reusable(): boolean {
    return !this.#closing && !this.socket.destroyed && this.socket.writable;
  }

  close(): void {
    this.socket.destroy();
  }

  #fail(err: Error): void {
    const reject = this.#reject;
    this.#resolve = null;
    this.#reject = null;
    reject?.(err);
  }

  #done(): void {
    const resolve = this.#resolve;
    this.#resolve = null;
    this.#reject = null;
    this.#body = null;
    resolve?.({
      status: this.#status,
      bodyBytes: this.#bytes,
      firstBodyAt: this.#firstBodyAt,
      endAt: performance.now(),
    });
  }

  #onData(chunk: Buffer): void {
    if (this.#resolve === null) return;
    if (this.#body === null) {
      const head = this.#head === null ? chunk : Buffer.concat([this.#head, chunk]);
      const end = head.indexOf(CRLF2);
      if (end < 0) {
        this.#head = head;
        return;
      }
      this.#parseHead(head.toString('latin1', 0, end));
      this.#head = null;
      chunk = head.subarray(end + 4);
      if (this.#body === null) return;
    }
    if (chunk.length > 0) this.#onBody(chunk);
  }

  #parseHead(text: string): void {
    const lines = text.split('\r\n');
    this.#status = Number((lines[0] ?? '').slice(9, 12));
    let length: number | null = null;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] ?? '';
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding' && value.toLowerCase().includes('chunked'))
        chunked = true;
      else if (name === 'connection' && value.toLowerCase().includes('close')) this.#closing = true;
    }
    if (this.#status === 204 || this.#status === 304 || (this.#status >= 100 && this.#status < 200))
      length = 0;
    if (chunked) this.#body = { kind: 'chunked', state: 'size', left: 0, line: '' };
    else if (length !== null) this.#body = { kind: 'length', left: length };
    else this.#body = { kind: 'close' };
    if (this.#body.kind === 'length' && this.#body.left === 0) this.#done();
  }

  #count(n: number): void {
    if (n > 0 && this.#bytes === 0) this.#firstBodyAt = performance.now();
    this.#bytes += n;
  }

  #onBody(chunk: Buffer): void {
    const body = this.#body;
    if (body === null) return;
    if (body.kind === 'close') {
      this.#count(chunk.length);
      return;
    }
    if (body.kind === 'length') {
      const n = Math.min(chunk.length, body.left);
      this.#count(n);
      body.left -= n;
      if (body.left === 0) this.#done();
      return;
    }
    let i = 0;
    while (i < chunk.length && this.#body !== null) {
      if (body.state === 'data') {
        const n = Math.min(chunk.length - i, body.left);
        this.#count(n);
        body.left -= n;
        i += n;
        if (body.left === 0) body.state = 'crlf';
        continue;
      }
      const nl = chunk.indexOf(10, i);
      if (nl < 0) {
        body.line += chunk.toString('latin1', i);
        return;
      }
      const line = (body.line + chunk.toString('latin1', i, nl)).trim();
      body.line = '';
      i = nl + 1;
      if (body.state === 'crlf') {
        body.state = 'size';
      } else if (body.state === 'size') {
        body.left = Number.parseInt(line, 16);
        body.state = body.left === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.#done();
      }
    }
  }
}
