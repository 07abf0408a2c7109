import type { BenchPki } from '../lib/pki.ts';
import type { Target } from '../load/http1.ts';

/**
 * The systems compared, in report order. Three are diagnostics, not peers:
 * `airlock-tmpfs` (the product with its home on tmpfs, where a commit's
 * fsync costs nothing), `airlock-proxy` (Airlock's proxy code without the
 * rest of `airlock serve`) and `node-tls-floor` (a bare Node TLS + HTTP
 * server, idle scenario only).
 */
export const SYSTEM_NAMES = [
  'direct',
  'airlock',
  'airlock-tmpfs',
  'airlock-proxy',
  'mitmproxy',
  'squid',
  'node-tls-floor',
] as const;
export type SystemName = (typeof SYSTEM_NAMES)[number];

/** What every system is started with. */
export interface SystemContext {
  /** The bench's work directory (temp, removed at the end). */
  readonly dir: string;
  readonly pki: BenchPki;
  /** Origin host name (never in DNS: each system is told it resolves to 127.0.0.1). */
  readonly host: string;
  readonly originPort: number;
  /** The credential each proxy injects as `Authorization: Bearer …`. */
  readonly secret: string;
  /** Directory the Airlock home is created in (a disk, unless `--airlock-home-dir` says otherwise). */
  readonly airlockHomeParent: string;
  /** When set, Airlock runs with `--cpu-prof` and writes its profile here. */
  readonly profileDir: string | null;
}

/** A started system: how to reach the origin through it, and how to stop it. */
export interface BenchSystem {
  readonly name: SystemName;
  readonly version: string;
  readonly target: Target;
  /** Root of the proxy's process tree (for resident memory); null for direct. */
  readonly pid: number | null;
  /** How it was configured, for the report. */
  readonly config: string;
  /** The scenarios it takes part in; null for all. */
  readonly scenarios: readonly string[] | null;
  stop(): Promise<void>;
}

/** The credential header, as the direct client sends it itself and the proxies inject it. */
export function bearer(secret: string): string {
  return `Bearer ${secret}`;
}
