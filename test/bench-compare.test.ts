import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRuns, renderComparison } from '../bench/lib/compare.ts';
import type { BenchResults } from '../bench/lib/results.ts';

/** A bench run holding only what a comparison reads: scenario, system and metrics per round. */
function results(runs: [scenario: string, system: string, metrics: Record<string, number>][]) {
  return {
    revision: 'abc1234',
    date: '2026-12-07T00:00:00.000Z',
    runs: runs.map(([scenario, system, metrics], i) => ({
      scenario,
      system,
      round: i + 1,
      metrics,
    })),
  } as unknown as BenchResults;
}

test('a comparison lines up each tree’s runs, the change of medians and the pairs head won', () => {
  const base = [
    results([['keepalive-c16', 'airlock', { rps: 100, medianMs: 2, proxyUsPerRequest: 500 }]]),
    results([['keepalive-c16', 'airlock', { rps: 120, medianMs: 3, proxyUsPerRequest: 400 }]]),
    results([['keepalive-c16', 'airlock', { rps: 110, medianMs: 2.5, proxyUsPerRequest: 450 }]]),
  ];
  const head = [
    results([['keepalive-c16', 'airlock', { rps: 130, medianMs: 1.5, proxyUsPerRequest: 300 }]]),
    results([['keepalive-c16', 'airlock', { rps: 115, medianMs: 3.5, proxyUsPerRequest: 350 }]]),
    results([['keepalive-c16', 'airlock', { rps: 132, medianMs: 2, proxyUsPerRequest: 420 }]]),
  ];
  const rows = compareRuns(base, head);
  assert.deepEqual(
    rows.map((r) => [
      r.metric,
      r.base,
      r.head,
      Math.round(r.changePct * 10) / 10,
      r.headBetter,
      r.pairs,
    ]),
    [
      ['rps', [100, 120, 110], [130, 115, 132], 18.2, 2, 3],
      // Less is better for times and CPU.
      ['medianMs', [2, 3, 2.5], [1.5, 3.5, 2], -20, 2, 3],
      ['proxyUsPerRequest', [500, 400, 450], [300, 350, 420], -22.2, 3, 3],
    ],
  );
  assert.deepEqual(
    rows.map((r) => r.moreIsBetter),
    [true, false, false],
  );
  const table = renderComparison(rows);
  assert.match(
    table,
    /\| keepalive-c16 \| airlock \| rps \(more is better\) \| 100, 120, 110 \| 130, 115, 132 \| \+18\.2% \| 2 of 3 \|/,
  );
  assert.match(table, /medianMs \(less is better\) .* \| −20\.0% \| 2 of 3 \|/);
});

test('a comparison takes medians over rounds, and leaves out of the pairs a run that lacks a figure', () => {
  const base = [
    results([
      ['sse', 'airlock', { ttfeMs: 24 }],
      ['sse', 'airlock', { ttfeMs: 26 }],
      ['sse', 'airlock', { ttfeMs: 25 }],
    ]),
    results([['download', 'airlock', { mibPerS: 200 }]]),
  ];
  const head = [
    results([['sse', 'airlock', { ttfeMs: 23 }]]),
    results([['sse', 'airlock', { ttfeMs: 30 }]]),
  ];
  const rows = compareRuns(base, head);
  const sse = rows.find((r) => r.scenario === 'sse');
  assert.deepEqual(sse?.base, [25, Number.NaN]);
  assert.deepEqual(sse?.head, [23, 30]);
  assert.equal(sse?.pairs, 1);
  assert.equal(sse?.headBetter, 1);
  const download = rows.find((r) => r.scenario === 'download');
  assert.deepEqual(download?.head, [Number.NaN, Number.NaN]);
  assert.equal(download?.pairs, 0);
  assert.match(
    renderComparison(rows),
    /\| download \| airlock \| mibPerS \(more is better\) \| —, 200 \| —, — \| — \| 0 of 0 \|/,
  );
});
