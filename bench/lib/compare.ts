import { figure } from './figures.ts';
import type { BenchResults } from './results.ts';
import type { ScenarioId } from './scenarios.ts';
import { median } from './stats.ts';

/** The figures a comparison shows for each kind of scenario (`keepalive-c16` is a `keepalive`). */
const HEADLINE: Readonly<Record<string, readonly string[]>> = {
  keepalive: ['rps', 'medianMs', 'proxyUsPerRequest'],
  tunnel: ['rps', 'medianMs', 'proxyUsPerRequest'],
  download: ['mibPerS'],
  upload: ['mibPerS'],
  sse: ['ttfeMs'],
  idle: ['kibPerTunnel'],
};

/** Figures where more is better; for the rest (times, CPU, memory) less is. */
const MORE_IS_BETTER = new Set(['rps', 'mibPerS']);

/** One figure of one system in one scenario, from every run of both trees. */
export interface ComparisonRow {
  readonly scenario: string;
  readonly system: string;
  readonly metric: string;
  /** Whether a larger value is better (rates) or worse (times, CPU, memory). */
  readonly moreIsBetter: boolean;
  /** Run by run, in the order they ran; NaN where a run lacks it. */
  readonly base: readonly number[];
  readonly head: readonly number[];
  /** (head median − base median) / base median, in percent. */
  readonly changePct: number;
  /** Pairs (run i of each tree) in which head did better, out of the pairs both measured. */
  readonly headBetter: number;
  readonly pairs: number;
}

/**
 * Lines up alternating runs of two trees, figure by figure: each tree's
 * runs side by side, the change of the medians, and in how many pairs the
 * head tree did better. `base[i]` and `head[i]` are the i-th pair.
 */
export function compareRuns(
  base: readonly BenchResults[],
  head: readonly BenchResults[],
): ComparisonRow[] {
  const seen = new Set<string>();
  const rows: ComparisonRow[] = [];
  for (const run of [...base, ...head].flatMap((r) => r.runs)) {
    const key = `${run.scenario}\u0000${run.system}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const metrics = HEADLINE[run.scenario.split('-')[0] ?? ''] ?? Object.keys(run.metrics);
    for (const metric of metrics) {
      const at = (r: BenchResults) => figure(r, run.scenario as ScenarioId, run.system, metric);
      const b = base.map(at);
      const h = head.map(at);
      const mb = median(b.filter(Number.isFinite));
      const mh = median(h.filter(Number.isFinite));
      let headBetter = 0;
      let pairs = 0;
      for (let i = 0; i < Math.min(b.length, h.length); i++) {
        const x = b[i] as number;
        const y = h[i] as number;
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        pairs++;
        if (MORE_IS_BETTER.has(metric) ? y > x : y < x) headBetter++;
      }
      rows.push({
        scenario: run.scenario,
        system: run.system,
        metric,
        moreIsBetter: MORE_IS_BETTER.has(metric),
        base: b,
        head: h,
        changePct: ((mh - mb) / mb) * 100,
        headBetter,
        pairs,
      });
    }
  }
  return rows;
}

function num(v: number): string {
  if (!Number.isFinite(v)) return '—';
  // Whole numbers for rates; milliseconds and KiB keep what the bench measured.
  const digits = Math.abs(v) >= 100 ? 0 : 3;
  return v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/** The comparison as a Markdown table, more-is-better or less-is-better named per figure. */
export function renderComparison(rows: readonly ComparisonRow[]): string {
  const lines = [
    '| scenario | system | figure | base runs | head runs | change of medians | head better |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const better = r.moreIsBetter ? 'more is better' : 'less is better';
    const change = Number.isFinite(r.changePct)
      ? `${r.changePct >= 0 ? '+' : '−'}${Math.abs(r.changePct).toFixed(1)}%`
      : '—';
    lines.push(
      `| ${r.scenario} | ${r.system} | ${r.metric} (${better}) | ${r.base.map(num).join(', ')} | ${r.head.map(num).join(', ')} | ${change} | ${r.headBetter} of ${r.pairs} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
