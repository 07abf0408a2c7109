import { figure, fmt } from './figures.ts';
import type { BenchResults } from './results.ts';
import type { ScenarioId } from './scenarios.ts';

/** One line of DESIGN.md's performance budget, judged on one run. */
export interface BudgetLine {
  readonly item: string;
  readonly target: string;
  readonly measured: string;
  /** null when a figure is missing (a scenario or system was not run). */
  readonly met: boolean | null;
  /** How far off, when not met ("2.1 ms over", "behind on …"). */
  readonly shortBy: string;
}

function line(
  item: string,
  target: string,
  value: number,
  ok: (v: number) => boolean,
  show: (v: number) => string,
  short: (v: number) => string,
): BudgetLine {
  if (!Number.isFinite(value)) {
    return { item, target, measured: 'not measured', met: null, shortBy: '' };
  }
  const met = ok(value);
  return { item, target, measured: show(value), met, shortBy: met ? '' : short(value) };
}

/** The comparisons behind "ahead of mitmproxy and squid on every scenario". */
const HEAD_TO_HEAD: readonly { scenario: ScenarioId; metric: string; higher: boolean }[] = [
  { scenario: 'keepalive-c1', metric: 'rps', higher: true },
  { scenario: 'keepalive-c16', metric: 'rps', higher: true },
  { scenario: 'keepalive-c64', metric: 'rps', higher: true },
  { scenario: 'tunnel-c1', metric: 'rps', higher: true },
  { scenario: 'tunnel-c8', metric: 'rps', higher: true },
  { scenario: 'download', metric: 'mibPerS', higher: true },
  { scenario: 'upload', metric: 'mibPerS', higher: true },
  { scenario: 'sse', metric: 'ttfeMs', higher: false },
  { scenario: 'idle', metric: 'kibPerTunnel', higher: false },
];

/** Where `system` is behind a peer: `scenario metric (peer)` entries. */
export function behindPeers(
  results: BenchResults,
  system: string,
): { behind: string[]; compared: number } {
  const behind: string[] = [];
  let compared = 0;
  for (const { scenario, metric, higher } of HEAD_TO_HEAD) {
    const mine = figure(results, scenario, system, metric);
    for (const peer of ['mitmproxy', 'squid']) {
      const theirs = figure(results, scenario, peer, metric);
      if (!Number.isFinite(mine) || !Number.isFinite(theirs)) continue;
      compared++;
      const ahead = higher ? mine > theirs : mine < theirs;
      if (!ahead)
        behind.push(`${scenario} ${metric} (${peer}: ${fmt(theirs, 1)} vs ${fmt(mine, 1)})`);
    }
  }
  return { behind, compared };
}

/** Judges `system`'s figures in the run against DESIGN.md's performance budget. */
export function judgeBudget(results: BenchResults, system: string): BudgetLine[] {
  const f = (s: ScenarioId, system: string, m: string): number => figure(results, s, system, m);
  const lines: BudgetLine[] = [];
  for (const c of [1, 16, 64]) {
    const id = `keepalive-c${c}` as ScenarioId;
    lines.push(
      line(
        `keep-alive throughput, concurrency ${c}`,
        '≥ 50% of direct',
        f(id, system, 'rps') / f(id, 'direct', 'rps'),
        (v) => v >= 0.5,
        (v) => `${(100 * v).toFixed(1)}% of direct`,
        (v) => `${(100 * (0.5 - v)).toFixed(1)} points short`,
      ),
    );
  }
  lines.push(
    line(
      'keep-alive added median latency (concurrency 1)',
      '< 1 ms',
      f('keepalive-c1', system, 'medianMs') - f('keepalive-c1', 'direct', 'medianMs'),
      (v) => v < 1,
      (v) => `+${v.toFixed(3)} ms`,
      (v) => `${(v - 1).toFixed(3)} ms over`,
    ),
  );
  lines.push(
    line(
      'new tunnel (CONNECT + both handshakes), added median',
      '< 3 ms above direct',
      f('tunnel-c1', system, 'medianMs') - f('tunnel-c1', 'direct', 'medianMs'),
      (v) => v < 3,
      (v) => `+${v.toFixed(3)} ms`,
      (v) => `${(v - 3).toFixed(3)} ms over`,
    ),
  );
  lines.push(
    line(
      'SSE time to first event',
      'within 1 ms of direct',
      f('sse', system, 'ttfeMs') - f('sse', 'direct', 'ttfeMs'),
      (v) => v < 1,
      (v) => `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)} ms`,
      (v) => `${(v - 1).toFixed(3)} ms over`,
    ),
  );
  lines.push(
    line(
      'resident memory per idle tunnel',
      '< 64 KiB',
      f('idle', system, 'kibPerTunnel'),
      (v) => v < 64,
      (v) => `${v.toFixed(1)} KiB`,
      (v) => `${(v - 64).toFixed(1)} KiB over`,
    ),
  );
  const { behind, compared } = behindPeers(results, system);
  lines.push({
    item: 'ahead of mitmproxy and squid on every scenario',
    target: 'better on every figure',
    measured:
      compared === 0 ? 'not measured' : `ahead on ${compared - behind.length} of ${compared}`,
    met: compared === 0 ? null : behind.length === 0,
    shortBy: behind.length === 0 ? '' : `behind on ${behind.join('; ')}`,
  });
  return lines;
}
