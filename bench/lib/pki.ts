import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createCa, issueLeaf } from '../../src/ca/index.ts';
import { run } from './proc.ts';

/** The bench's certificates, as files in its work directory. */
export interface BenchPki {
  /** CA that signed the upstream's certificate; every proxy (and the direct client) trusts it. */
  readonly upstreamCaPath: string;
  readonly upstreamCaPem: string;
  readonly upstreamCertPath: string;
  readonly upstreamKeyPath: string;
  /** Interception CA for the peer proxies (mitmproxy, squid): ECDSA P-256, like Airlock's. */
  readonly peerCaPath: string;
  readonly peerCaPem: string;
  readonly peerKeyPath: string;
}

const DAY = 24 * 3_600_000;

/**
 * Creates the upstream CA and its leaf for `host` (with Airlock's own CA
 * code: ECDSA P-256) and, with openssl, an ECDSA P-256 interception CA for
 * the peer proxies, so all three intercepting proxies present the same kind
 * of key and handshakes compare like for like.
 */
export async function createBenchPki(dir: string, host: string): Promise<BenchPki> {
  const now = Date.now();
  const ca = createCa({ commonName: 'Airlock bench upstream CA', now });
  const leaf = issueLeaf(ca, host, now, DAY);
  const upstreamCaPath = join(dir, 'upstream-ca.pem');
  const upstreamCertPath = join(dir, 'upstream.crt');
  const upstreamKeyPath = join(dir, 'upstream.key');
  await writeFile(upstreamCaPath, ca.certPem);
  await writeFile(upstreamCertPath, leaf.certPem);
  await writeFile(upstreamKeyPath, leaf.keyPem, { mode: 0o600 });
  const peerCaPath = join(dir, 'peer-ca.pem');
  const peerKeyPath = join(dir, 'peer-ca.key');
  await run('openssl', [
    'req',
    '-x509',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    peerKeyPath,
    '-out',
    peerCaPath,
    '-days',
    '2',
    '-subj',
    '/O=Airlock bench/CN=Bench peer proxy CA',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
  return {
    upstreamCaPath,
    upstreamCaPem: ca.certPem,
    upstreamCertPath,
    upstreamKeyPath,
    peerCaPath,
    peerCaPem: await readFile(peerCaPath, 'utf8'),
    peerKeyPath,
  };
}
