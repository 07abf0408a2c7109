import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { AgentId, WorkspaceId } from '../../src/core/index.ts';
import { systemClock } from '../../src/core/index.ts';
import type { AuthScheme, Binding } from '../../src/policy/index.ts';
import {
  type AgentPrincipal,
  createProxy,
  PROXY_CHANNELS,
  type ProxyDeniedEvent,
  type ProxyOptions,
  type ProxyRequestEvent,
} from '../../src/proxy/index.ts';
import type { TestPki } from './pki.ts';

export const WORKSPACE = 'ws_test' as WorkspaceId;

/** A binding for tests: one host, any path and method unless narrowed. */
export function testBinding(spec: {
  service: string;
  secret: string;
  host: string;
  port: number;
  scheme?: 'https' | 'http';
  paths?: readonly string[];
  methods?: readonly string[] | null;
  auth?: AuthScheme;
}): Binding {
  return {
    grantId: `grant_${spec.service}`,
    serviceName: spec.service,
    secretName: spec.secret,
    scheme: spec.scheme ?? 'https',
    hosts: [{ pattern: spec.host, port: spec.port }],
    pathSets: [spec.paths ?? ['/**']],
    methods: spec.methods ?? null,
    auth: spec.auth ?? { kind: 'bearer' },
    expiresAt: null,
  };
}

export interface ProxyHarness {
  readonly port: number;
  /** `http://agent:KEY@127.0.0.1:PORT` for clients that take a proxy URL. */
  proxyUrl(key: string): string;
  /** Agent keys → principals; delete a key to revoke it. */
  readonly agents: Map<string, AgentPrincipal>;
  /** Bindings per agent id; tests may replace them. */
  readonly bindings: Map<string, readonly Binding[]>;
  readonly denied: ProxyDeniedEvent[];
  readonly forwarded: ProxyRequestEvent[];
  /** Polls `check` until it holds or the deadline passes (no fixed sleeps). */
  waitFor(check: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly pki: TestPki;
  /** key → [agent name, bindings] */
  readonly agents: Readonly<Record<string, readonly Binding[]>>;
  /** secret name → value (all in WORKSPACE) */
  readonly secrets: Readonly<Record<string, string>>;
  readonly options?: ProxyOptions;
}

/**
 * A real proxy on 127.0.0.1:0 with in-test dependencies: agents and
 * bindings in maps (so a test can revoke or regrant), secrets in a map,
 * leaf certificates from the test CA, and the events it publishes captured.
 */
export async function startProxy(h: HarnessOptions): Promise<ProxyHarness> {
  const agents = new Map<string, AgentPrincipal>();
  const bindings = new Map<string, readonly Binding[]>();
  let n = 0;
  for (const [key, list] of Object.entries(h.agents)) {
    n++;
    const principal: AgentPrincipal = {
      agentId: `agent_${n}` as AgentId,
      agentName: `agent-${n}`,
      workspaceId: WORKSPACE,
    };
    agents.set(key, principal);
    bindings.set(principal.agentId, list);
  }
  const proxy = createProxy({
    authenticate: (key) => agents.get(key) ?? null,
    bindings: (p) => bindings.get(p.agentId) ?? [],
    secretValue: async (_ws, name) => {
      const v = h.secrets[name];
      if (v === undefined) throw new Error(`no secret ${name}`);
      return v;
    },
    leafContext: (host) => h.pki.leafCache.secureContextFor(host),
    clock: systemClock,
    options: { upstreamCa: [h.pki.upstreamCaPem], ...h.options },
  });
  const denied: ProxyDeniedEvent[] = [];
  const forwarded: ProxyRequestEvent[] = [];
  const onDenied = (m: unknown): void => {
    denied.push(m as ProxyDeniedEvent);
  };
  const onRequest = (m: unknown): void => {
    forwarded.push(m as ProxyRequestEvent);
  };
  subscribe(PROXY_CHANNELS.denied, onDenied);
  subscribe(PROXY_CHANNELS.request, onRequest);
  const { port } = await proxy.listen('127.0.0.1', 0);
  return {
    port,
    proxyUrl: (key) => `http://agent:${encodeURIComponent(key)}@127.0.0.1:${port}`,
    agents,
    bindings,
    denied,
    forwarded,
    async waitFor(check, what, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
    async close() {
      unsubscribe(PROXY_CHANNELS.denied, onDenied);
      unsubscribe(PROXY_CHANNELS.request, onRequest);
      await proxy.close();
    },
  };
}
