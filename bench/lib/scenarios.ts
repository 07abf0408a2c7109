import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { holdIdle, runTasks } from '../load/runner.ts';
import type { Task, TaskResult } from '../load/tasks.ts';
import type { BenchSystem } from '../systems/types.ts';
import { treeCpuMs, treeRssKiB } from './proc.ts';
import { median, percentile } from './stats.ts';

/** The scenarios, in run and report order. */
export const SCENARIO_IDS = [
  'idle',
  'keepalive-c1',
  'keepalive-c16',
  'keepalive-c64',
  'tunnel-c1',
  'tunnel-c8',
  'download',
  'upload',
  'sse',
] as const;
export type ScenarioId = (typeof SCENARIO_IDS)[number];

/** The answers an idle tunnel's one GET may ask for (`--idle-path`). */
export const IDLE_PATHS = ['/small', '/medium'] as const;
export type IdlePath = (typeof IDLE_PATHS)[number];

/** One system's figures for one scenario (one round). */
export interface ScenarioRun {
  readonly scenario: ScenarioId;
  readonly system: string;
  readonly round: number;
  /** Named figures: `rps`, `medianMs`, `p99Ms`, `mibPerS`, `ttfeMs`, `kibPerTunnel`, … */
  readonly metrics: Record<string, number>;
  readonly errors: number;
  readonly firstError: string | null;
  /** 1-minute load average when the run started. */
  readonly load1: number;
}

/** Durations and sizes, scaled down by `--quick`. */
export interface ScenarioSettings {
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly bigBytes: number;
  readonly transferReps: number;
  readonly sseReps: number;
  readonly idleTunnels: number;
  /**
   * What each idle tunnel's one GET asks for: `/small` (the default) or
   * `/medium` (64 KiB), to see what a tunnel keeps after a larger answer.
   * Absent in results written before the option existed (`/small`).
   */
  readonly idlePath?: IdlePath;
  /** Load-generator threads for concurrency above 1. */
  readonly workers: number;
}

/** PIDs whose CPU time is reported beside each load run. */
export interface CpuProbes {
  readonly origin: () => number[];
}

function split(total: number, parts: number): number[] {
  const n = Math.max(1, Math.min(parts, total));
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

async function cpuWindow<T>(
  system: BenchSystem,
  probes: CpuProbes,
  work: () => Promise<T>,
): Promise<{ value: T; cpu: Record<string, number> }> {
  const proxyPids = system.pid === null ? [] : [system.pid];
  const before = {
    gen: process.cpuUsage(),
    proxy: await treeCpuMs(proxyPids),
    origin: await treeCpuMs(probes.origin()),
    t: performance.now(),
  };
  const value = await work();
  const elapsed = performance.now() - before.t;
  const gen = process.cpuUsage(before.gen);
  const proxy = (await treeCpuMs(proxyPids)) - before.proxy;
  const origin = (await treeCpuMs(probes.origin())) - before.origin;
  return {
    value,
    cpu: {
      // Fractions of one core over the run (warm-up included).
      generatorCpu: (gen.user + gen.system) / 1000 / elapsed,
      proxyCpu: proxy / elapsed,
      originCpu: origin / elapsed,
    },
  };
}

function loadTasks(
  system: BenchSystem,
  s: ScenarioSettings,
  conns: number,
  tunnel: boolean,
): Task[] {
  return split(conns, conns === 1 ? 1 : s.workers).map((n) => ({
    kind: 'load',
    target: system.target,
    path: '/small',
    conns: n,
    tunnel,
    warmupMs: s.warmupMs,
    durationMs: s.durationMs,
  }));
}

function loadMetrics(r: TaskResult): Record<string, number> {
  return {
    rps: r.count / (r.windowMs / 1000),
    medianMs: median(r.samples),
    p99Ms: percentile(r.samples, 0.99),
  };
}

async function idleRun(
  system: BenchSystem,
  s: ScenarioSettings,
): Promise<{ metrics: Record<string, number>; result: TaskResult }> {
  const pid = system.pid;
  if (pid === null) throw new TypeError('idle tunnels need a proxy');
  await sleep(1500);
  const before = await treeRssKiB(pid);
  const steps: { opened: number; rss: number }[] = [];
  const result = await holdIdle(
    {
      kind: 'idle',
      target: system.target,
      path: s.idlePath ?? '/small',
      count: s.idleTunnels,
      steps: 2,
      parallel: 16,
    },
    async (opened) => {
      // Let timers, GC and lazy frees settle, then take the resident size.
      await sleep(2000);
      steps.push({ opened, rss: await treeRssKiB(pid) });
    },
  );
  const half = steps[0] ?? { opened: 0, rss: before };
  const full = steps[1] ?? half;
  return {
    result,
    metrics: {
      opened: full.opened,
      rssBeforeKiB: before,
      rssHalfKiB: half.rss,
      rssAfterKiB: full.rss,
      kibPerTunnel: full.opened > 0 ? (full.rss - before) / full.opened : Number.NaN,
      // The slope over the second half: what one more idle tunnel costs, without
      // the one-off growth (young generation, pools) that the first ones pay for.
      marginalKibPerTunnel:
        full.opened > half.opened
          ? (full.rss - half.rss) / (full.opened - half.opened)
          : Number.NaN,
      openSeconds: result.windowMs / 1000,
    },
  };
}

/** Runs one scenario against one system and returns its figures. */
export async function runScenario(
  id: ScenarioId,
  system: BenchSystem,
  s: ScenarioSettings,
  probes: CpuProbes,
  round: number,
): Promise<ScenarioRun | null> {
  const load1 = loadavg()[0] ?? 0;
  let result: TaskResult;
  let metrics: Record<string, number>;
  const target = system.target;
  switch (id) {
    case 'idle': {
      if (system.pid === null) return null;
      ({ result, metrics } = await idleRun(system, s));
      break;
    }
    case 'keepalive-c1':
    case 'keepalive-c16':
    case 'keepalive-c64':
    case 'tunnel-c1':
    case 'tunnel-c8': {
      const conns = Number(id.slice(id.lastIndexOf('c') + 1));
      const tunnel = id.startsWith('tunnel');
      const { value, cpu } = await cpuWindow(system, probes, () =>
        runTasks(loadTasks(system, s, conns, tunnel)),
      );
      result = value;
      metrics = { ...loadMetrics(value), ...cpu };
      // CPU per request, in microseconds: the proxy's own cost, free of queueing.
      const requests = value.count * ((s.warmupMs + s.durationMs) / s.durationMs);
      metrics.proxyUsPerRequest =
        ((cpu.proxyCpu ?? 0) * (s.warmupMs + s.durationMs) * 1000) / requests;
      break;
    }
    case 'download':
    case 'upload': {
      const path = id === 'download' ? '/big' : '/upload/blob';
      const { value, cpu } = await cpuWindow(system, probes, () =>
        runTasks([{ kind: id, target, path, bytes: s.bigBytes, reps: s.transferReps }]),
      );
      result = value;
      const mib = s.bigBytes / (1024 * 1024);
      metrics = {
        mibPerS: mib / (median(value.samples) / 1000),
        bestMibPerS:
          value.samples.length === 0 ? Number.NaN : mib / (Math.min(...value.samples) / 1000),
        ...cpu,
      };
      break;
    }
    case 'sse': {
      result = await runTasks([{ kind: 'sse', target, path: '/sse', reps: s.sseReps }]);
      metrics = {
        ttfeMs: median(result.samples),
        p90Ms: percentile(result.samples, 0.9),
      };
      break;
    }
  }
  return {
    scenario: id,
    system: system.name,
    round,
    metrics,
    errors: result.errors,
    firstError: result.firstError,
    load1,
  };
}
