import type { BenchResults } from './results.ts';
import type { ScenarioId } from './scenarios.ts';
import { median } from './stats.ts';

/**
 * One metric of one system in one scenario, the median over rounds; NaN
 * when not measured. Idle memory counts only from the first round, when the
 * proxy's process was fresh.
 */
export function figure(
  results: BenchResults,
  scenario: ScenarioId,
  system: string,
  metric: string,
): number {
  const values = results.runs
    // Idle memory counts only on a fresh process (the first round).
    .filter((r) => r.scenario === scenario && r.system === system)
    .filter((r) => scenario !== 'idle' || r.round === 1)
    .map((r) => r.metrics[metric])
    .filter((v): v is number => v !== undefined && Number.isFinite(v));
  return median(values);
}

/** Errors summed over rounds, and the first message. */
export function errorsOf(
  results: BenchResults,
  scenario: ScenarioId,
  system: string,
): { count: number; first: string | null } {
  let count = 0;
  let first: string | null = null;
  for (const r of results.runs) {
    if (r.scenario !== scenario || r.system !== system) continue;
    count += r.errors;
    first ??= r.firstError;
  }
  return { count, first };
}

/** Formats a number with `digits` decimals; an em dash for NaN. */
export function fmt(v: number, digits = 0): string {
  if (!Number.isFinite(v)) return '—';
  return v.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** `×0.42` style ratio; an em dash when either side is missing. */
export function ratio(v: number, base: number): string {
  if (!Number.isFinite(v) || !Number.isFinite(base) || base === 0) return '—';
  return `×${(v / base).toFixed(2)}`;
}

/** `+1.23` style difference in ms. */
export function delta(v: number, base: number, digits = 2): string {
  if (!Number.isFinite(v) || !Number.isFinite(base)) return '—';
  const d = v - base;
  return `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(digits)}`;
}

/** Whether a larger value of `metric` is better. */
export function higherIsBetter(metric: string): boolean {
  return metric === 'rps' || metric === 'mibPerS';
}
