import { spawn } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';

export interface GitServer {
  readonly port: number;
  /** `Authorization` header of each request, in order (null when absent). */
  readonly authorizations: (string | null)[];
  close(): Promise<void>;
}

function authorized(header: string | undefined, expected: string): boolean {
  if (header === undefined) return false;
  const a = Buffer.from(header);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Splits CGI output into its header block and the rest, once the blank line has arrived. */
function splitCgi(buf: Buffer): { head: string; rest: Buffer } | null {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return null;
  const useCrlf = crlf >= 0 && (lf < 0 || crlf < lf);
  const at = useCrlf ? crlf : lf;
  return {
    head: buf.subarray(0, at).toString('latin1'),
    rest: buf.subarray(at + (useCrlf ? 4 : 2)),
  };
}

/**
 * A smart-HTTP git server over HTTPS: each request runs `git http-backend`
 * as a CGI (RFC 3875) over `root`. It requires `Authorization: Basic
 * base64(user:password)` (401 otherwise) and passes the user on as
 * REMOTE_USER, so pushes are authorised by the credential the proxy injects.
 */
export async function startGitServer(options: {
  tls: { cert: string; key: string };
  root: string;
  user: string;
  password: string;
}): Promise<GitServer> {
  const expected = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;
  const authorizations: (string | null)[] = [];
  const sockets = new Set<Duplex>();
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    authorizations.push(req.headers.authorization ?? null);
    if (!authorized(req.headers.authorization, expected)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"', 'content-length': '0' });
      res.end();
      return;
    }
    const url = new URL(req.url ?? '/', 'https://git.invalid');
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: options.root,
      GIT_HTTP_EXPORT_ALL: '1',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: 'HTTP/1.1',
      REQUEST_METHOD: req.method ?? 'GET',
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      REMOTE_USER: options.user,
      REMOTE_ADDR: '127.0.0.1',
      CONTENT_TYPE: req.headers['content-type'] ?? '',
    };
    if (req.headers['content-length'] !== undefined)
      env.CONTENT_LENGTH = req.headers['content-length'];
    const enc = req.headers['content-encoding'];
    if (enc !== undefined) env.HTTP_CONTENT_ENCODING = enc;
    const proto = req.headers['git-protocol'];
    if (typeof proto === 'string') env.GIT_PROTOCOL = proto;
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
    req.pipe(child.stdin);
    let buf = Buffer.alloc(0);
    let headed = false;
    child.stdout.on('data', (d: Buffer) => {
      if (headed) {
        res.write(d);
        return;
      }
      buf = Buffer.concat([buf, d]);
      const split = splitCgi(buf);
      if (split === null) return;
      headed = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of split.head.split(/\r?\n/)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      res.writeHead(status, headers);
      if (split.rest.length > 0) res.write(split.rest);
    });
    child.on('close', () => {
      if (!headed) res.writeHead(500);
      res.end();
    });
  };
  const server = createServer({ cert: options.tls.cert, key: options.tls.key }, onRequest);
  server.on('secureConnection', (s: Duplex) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    authorizations,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
