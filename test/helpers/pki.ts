import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CaMaterial, createCa, issueLeaf, LeafCache } from '../../src/ca/index.ts';
import { systemClock } from '../../src/core/index.ts';

/** The test's certificates: Airlock's interception CA and a separate CA for the upstream servers. */
export interface TestPki {
  /** Temp directory holding the PEM files; removed by `cleanup`. */
  readonly dir: string;
  readonly airlockCa: CaMaterial;
  /** `airlock-ca.pem`: what clients trust to accept the proxy's leaf certificates. */
  readonly airlockCaPath: string;
  readonly leafCache: LeafCache;
  /** The upstream CA (PEM); the proxy trusts it through `upstreamCa`. */
  readonly upstreamCaPem: string;
  /** A certificate and key for `hosts`, signed by the upstream CA. */
  upstreamCert(host: string): { cert: string; key: string };
  cleanup(): Promise<void>;
}

const DAY = 24 * 3_600_000;

/** Creates both CAs and writes `airlock-ca.pem` into a fresh temp directory. */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-proxy-test-'));
  const now = systemClock.now();
  const airlockCa = createCa({ commonName: 'Airlock Test CA', now });
  const upstreamCa = createCa({ commonName: 'Upstream Test CA', now });
  const airlockCaPath = join(dir, 'airlock-ca.pem');
  await writeFile(airlockCaPath, airlockCa.certPem);
  return {
    dir,
    airlockCa,
    airlockCaPath,
    leafCache: new LeafCache({ ca: airlockCa, clock: systemClock }),
    upstreamCaPem: upstreamCa.certPem,
    upstreamCert(host) {
      const leaf = issueLeaf(upstreamCa, host, now, DAY);
      return { cert: leaf.certPem, key: leaf.keyPem };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
