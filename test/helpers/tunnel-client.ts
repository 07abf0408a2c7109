/**
 * A deliberately raw HTTP/1.1 client for proxy tests: it sends exactly the
 * bytes a test writes (wrong Host headers, absolute-form targets) and reads
 * responses off one connection, so keep-alive reuse is under the test's
 * control.
 */
import { connect as netConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkServerIdentity, type TLSSocket, connect as tlsConnect } from 'node:tls';

export interface RawResponse {
  readonly status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Reads HTTP/1.1 responses from a stream, one at a time. */
export class ResponseReader {
  #buf = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | null = null;
  /** Resolves when the stream has closed. */
  readonly closed: Promise<void>;

  constructor(stream: Duplex) {
    stream.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#wake?.();
    });
    this.closed = new Promise((resolve) => {
      const end = (): void => {
        this.#ended = true;
        this.#wake?.();
        resolve();
      };
      stream.once('close', end);
      stream.once('end', end);
    });
    stream.on('error', () => {});
  }

  async #more(): Promise<void> {
    if (this.#ended) throw new Error('connection closed before a complete response');
    await new Promise<void>((resolve) => {
      this.#wake = () => {
        this.#wake = null;
        resolve();
      };
    });
  }

  /** Waits for `n` bytes (or the end when `n` is Infinity) and takes them. */
  async #take(n: number): Promise<Buffer> {
    while (this.#buf.length < n) {
      if (this.#ended && n === Number.POSITIVE_INFINITY) break;
      await this.#more();
    }
    const out = this.#buf.subarray(0, Math.min(n, this.#buf.length));
    this.#buf = this.#buf.subarray(out.length);
    return out;
  }

  async #line(): Promise<string> {
    for (;;) {
      const i = this.#buf.indexOf('\r\n');
      if (i >= 0) {
        const line = this.#buf.subarray(0, i).toString('latin1');
        this.#buf = this.#buf.subarray(i + 2);
        return line;
      }
      await this.#more();
    }
  }

  /** Reads just a response head (status and headers). */
  async head(): Promise<{ status: number; headers: Record<string, string> }> {
    let statusLine = await this.#line();
    let status = Number(statusLine.split(' ')[1]);
    const headers: Record<string, string> = Object.create(null);
    for (;;) {
      const line = await this.#line();
      if (line === '') {
        // Skip interim 1xx responses other than 101.
        if (status >= 100 && status < 200 && status !== 101) {
          statusLine = await this.#line();
          status = Number(statusLine.split(' ')[1]);
          continue;
        }
        return { status, headers };
      }
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
  }

  /** Reads one complete response; `noBody` for HEAD and `CONNECT` 2xx. */
  async response(noBody = false): Promise<RawResponse> {
    const { status, headers } = await this.head();
    if (noBody || status === 204 || status === 304 || (status >= 100 && status < 200)) {
      return { status, headers, body: '' };
    }
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    let body: Buffer;
    if (te !== undefined && /chunked/i.test(te)) {
      const parts: Buffer[] = [];
      for (;;) {
        const size = Number.parseInt(await this.#line(), 16);
        if (size === 0) {
          while ((await this.#line()) !== '') {}
          break;
        }
        parts.push(await this.#take(size));
        await this.#line();
      }
      body = Buffer.concat(parts);
    } else if (cl !== undefined) {
      body = await this.#take(Number(cl));
    } else {
      body = await this.#take(Number.POSITIVE_INFINITY);
    }
    return { status, headers, body: body.toString('utf8') };
  }

  /** Bytes received after the last parsed response (e.g. the first WebSocket frames). */
  rest(): Buffer {
    const out = this.#buf;
    this.#buf = Buffer.alloc(0);
    return out;
  }
}

/** `Proxy-Authorization: Basic base64(agent:KEY)`. */
export function basicProxyAuth(key: string): string {
  return `Basic ${Buffer.from(`agent:${key}`).toString('base64')}`;
}

function writeConnect(
  socket: Socket,
  authority: string,
  headers: Readonly<Record<string, string>>,
): void {
  let head = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
  socket.write(`${head}\r\n`);
}

/** Sends `CONNECT authority` and, when the proxy answers 200, returns the raw tunnel socket. */
export async function connectTunnelSocket(
  proxyPort: number,
  authority: string,
  headers: Readonly<Record<string, string>>,
): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port: proxyPort });
  writeConnect(socket, authority, headers);
  // Read byte by byte up to the blank line, so nothing of the tunnel is consumed.
  let head = '';
  await new Promise<void>((resolve, reject) => {
    const onReadable = (): void => {
      for (;;) {
        const b: Buffer | null = socket.read(1);
        if (b === null) return;
        head += b.toString('latin1');
        if (head.endsWith('\r\n\r\n')) {
          socket.off('readable', onReadable);
          resolve();
          return;
        }
      }
    };
    socket.on('readable', onReadable);
    socket.once('error', reject);
    socket.once('close', () => reject(new Error(`tunnel closed: ${head}`)));
  });
  const status = Number(head.split(' ')[1]);
  if (status !== 200) {
    socket.destroy();
    throw new Error(`CONNECT answered ${status}`);
  }
  socket.removeAllListeners('close');
  socket.removeAllListeners('error');
  return socket;
}

/** `CONNECT` answered with an error: the parsed error response. */
export async function connectError(
  proxyPort: number,
  authority: string,
  headers: Readonly<Record<string, string>> = {},
): Promise<RawResponse> {
  const socket = netConnect({ host: '127.0.0.1', port: proxyPort });
  writeConnect(socket, authority, headers);
  const reader = new ResponseReader(socket);
  try {
    return await reader.response(false);
  } finally {
    socket.destroy();
  }
}

export interface TunnelOptions {
  readonly key: string;
  /** PEM of the CA the client trusts (Airlock's). */
  readonly ca: string;
  /** SNI to send; defaults to the CONNECT host. `null` sends none. */
  readonly servername?: string | null;
  /** A stream to run TLS over instead of the raw tunnel socket (to watch the bytes). */
  readonly through?: (socket: Socket) => Duplex;
}

/** `CONNECT host:port` through the proxy, then a verified TLS handshake inside the tunnel. */
export async function openTunnel(
  proxyPort: number,
  host: string,
  port: number,
  options: TunnelOptions,
): Promise<TLSSocket> {
  const authority = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  const socket = await connectTunnelSocket(proxyPort, authority, {
    'Proxy-Authorization': basicProxyAuth(options.key),
  });
  const servername = options.servername === undefined ? host : options.servername;
  const tls = tlsConnect({
    socket: options.through === undefined ? socket : options.through(socket),
    ca: options.ca,
    ...(servername === null ? {} : { servername }),
    // The leaf must be valid for the CONNECT host, whatever SNI was sent.
    checkServerIdentity: (_name, cert) => checkServerIdentity(host, cert),
    ALPNProtocols: ['http/1.1'],
  });
  await new Promise<void>((resolve, reject) => {
    tls.once('secureConnect', resolve);
    tls.once('error', reject);
  });
  return tls;
}

/** Writes a request on `stream` and reads its response. */
export async function roundTrip(
  stream: Duplex,
  reader: ResponseReader,
  request: string,
  noBody = false,
): Promise<RawResponse> {
  stream.write(request);
  return reader.response(noBody);
}
