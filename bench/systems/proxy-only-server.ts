// Airlock's proxy alone (`createProxy` from src/proxy), with in-memory
// dependencies: one agent, one bearer binding, the secret in a map, leaves
// from an in-memory CA. No store, vault, audit or admin API. A diagnostic
// beside the real product: the difference between the two rows is what the
// rest of `airlock serve` adds to the request path. Prints its port and the
// CA on stdout as one JSON line. Run by ./proxy-only.ts.

import { createCa, LeafCache } from '../../src/ca/index.ts';
import type { AgentId, WorkspaceId } from '../../src/core/index.ts';
import { systemClock } from '../../src/core/index.ts';
import type { Binding } from '../../src/policy/index.ts';
import { type AgentPrincipal, createProxy } from '../../src/proxy/index.ts';

const env = (name: string): string => {
  const v = process.env[name];
  if (v === undefined) throw new TypeError(`${name} is required`);
  return v;
};

const host = env('BENCH_HOST');
const port = Number(env('BENCH_ORIGIN_PORT'));
const key = env('BENCH_AGENT_KEY');
const secret = env('BENCH_SECRET');
const upstreamCa = env('BENCH_UPSTREAM_CA');

const ca = createCa({ commonName: 'Airlock bench proxy-only CA', now: systemClock.now() });
const principal: AgentPrincipal = {
  agentId: 'agent_bench' as AgentId,
  agentName: 'bench',
  workspaceId: 'ws_bench' as WorkspaceId,
};
const bindings: readonly Binding[] = [
  {
    grantId: 'grant_bench',
    serviceName: 'bench',
    secretName: 'bench',
    scheme: 'https',
    hosts: [{ pattern: host, port }],
    pathSets: [['/**']],
    methods: null,
    auth: { kind: 'bearer' },
    expiresAt: null,
  },
];
const leaves = new LeafCache({ ca, clock: systemClock });
const proxy = createProxy({
  authenticate: (k) => (k === key ? principal : null),
  bindings: () => bindings,
  secretValue: async () => secret,
  leafContext: (h) => leaves.secureContextFor(h),
  clock: systemClock,
  options: {
    allowPrivate: ['127.0.0.1/32'],
    resolve: [{ host, port, address: '127.0.0.1' }],
    upstreamCa: [upstreamCa],
  },
});
const address = await proxy.listen('127.0.0.1', 0);
process.stdout.write(`${JSON.stringify({ port: address.port, ca: ca.certPem })}\n`);
process.once('SIGTERM', () => void proxy.close());
