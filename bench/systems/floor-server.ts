// The floor for idle-connection memory in Node: a TLS server that hands each
// connection to an `http.Server` (as Airlock's interception does), and
// nothing else. No CONNECT, no upstream. Prints its port and CA on stdout as
// one JSON line. Run by ./floor.ts.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import { createCa, issueLeaf } from '../../src/ca/index.ts';
import { MEDIUM_BYTES } from '../upstream/origin.ts';

const host = process.env.BENCH_HOST ?? 'api.bench.local';
const now = Date.now();
const ca = createCa({ commonName: 'Airlock bench floor CA', now });
const leaf = issueLeaf(ca, host, now, 24 * 3_600_000);
const context = createSecureContext({ cert: leaf.certPem, key: leaf.keyPem });
const small = Buffer.from('{"ok":true}');
const medium = Buffer.alloc(MEDIUM_BYTES, 0x6d);
const http = createHttpServer({ keepAliveTimeout: 600_000, requestTimeout: 0 }, (req, res) => {
  // The same sizes as the origin's `/small` and `/medium`, which the idle scenario asks for.
  const [body, type] =
    req.url === '/medium' ? [medium, 'application/octet-stream'] : [small, 'application/json'];
  res.writeHead(200, { 'content-type': type, 'content-length': body.length });
  res.end(body);
});
const server = createNetServer((raw) => {
  raw.on('error', () => raw.destroy());
  const tls = new TLSSocket(raw, {
    isServer: true,
    secureContext: context,
    ALPNProtocols: ['http/1.1'],
  });
  tls.on('error', () => tls.destroy());
  http.emit('connection', tls);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port, ca: ca.certPem })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  http.closeAllConnections();
  process.exit(0);
});
