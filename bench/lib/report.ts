import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SMALL_JSON, SSE_EVENT_GAP_MS } from '../upstream/origin.ts';
import { type BudgetLine, judgeBudget } from './budget.ts';
import { delta, errorsOf, figure, fmt, ratio } from './figures.ts';
import type { BenchResults } from './results.ts';
import type { ScenarioId } from './scenarios.ts';
import { median } from './stats.ts';

const ANALYSIS = join(import.meta.dirname, '..', 'ANALYSIS.md');

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- |').join('')}`];
  for (const r of rows) out.push(`| ${r.join(' | ')} |`);
  return out.join('\n');
}

/** The systems that took part in scenario `id`, in report order. */
function names(results: BenchResults, id: ScenarioId): string[] {
  return results.systems
    .filter((s) => s.scenarios === null || s.scenarios.includes(id))
    .map((s) => s.name);
}

function errNote(results: BenchResults, id: ScenarioId, system: string): string {
  const e = errorsOf(results, id, system);
  return e.count === 0 ? '' : ` (${e.count} errors: ${e.first ?? ''})`;
}

function loadSection(r: BenchResults, id: ScenarioId, title: string): string {
  const f = (s: string, m: string): number => figure(r, id, s, m);
  const rows = names(r, id).map((s) => [
    s,
    fmt(f(s, 'rps')),
    ratio(f(s, 'rps'), f('direct', 'rps')),
    fmt(f(s, 'medianMs'), 3),
    s === 'direct' ? '' : delta(f(s, 'medianMs'), f('direct', 'medianMs'), 3),
    fmt(f(s, 'p99Ms'), 2),
    s === 'direct' ? '' : fmt(f(s, 'proxyUsPerRequest')),
    s === 'direct' ? fmt(100 * f(s, 'originCpu')) : fmt(100 * f(s, 'proxyCpu')),
    fmt(100 * f(s, 'generatorCpu')) + errNote(r, id, s),
  ]);
  return `### ${title}\n\n${table(
    [
      'system',
      'req/s',
      'vs direct',
      'median ms',
      'added ms',
      'p99 ms',
      'proxy CPU µs/req',
      'proxy (or nginx) CPU %',
      'load generator CPU %',
    ],
    rows,
  )}`;
}

function transferSection(r: BenchResults, id: ScenarioId, title: string): string {
  const f = (s: string, m: string): number => figure(r, id, s, m);
  const rows = names(r, id).map((s) => [
    s,
    fmt(f(s, 'mibPerS'), 1),
    ratio(f(s, 'mibPerS'), f('direct', 'mibPerS')),
    fmt(f(s, 'bestMibPerS'), 1),
    s === 'direct' ? fmt(100 * f(s, 'originCpu')) : fmt(100 * f(s, 'proxyCpu')),
    fmt(100 * f(s, 'generatorCpu')) + errNote(r, id, s),
  ]);
  return `### ${title}\n\n${table(
    [
      'system',
      'MiB/s (median)',
      'vs direct',
      'MiB/s (best)',
      'proxy (or nginx) CPU %',
      'load generator CPU %',
    ],
    rows,
  )}`;
}

function sseSection(r: BenchResults): string {
  const f = (s: string, m: string): number => figure(r, 'sse', s, m);
  const rows = names(r, 'sse').map((s) => [
    s,
    fmt(f(s, 'ttfeMs'), 3),
    s === 'direct' ? '' : delta(f(s, 'ttfeMs'), f('direct', 'ttfeMs'), 3),
    fmt(f(s, 'p90Ms'), 3) + errNote(r, 'sse', s),
  ]);
  return `### SSE: time to first event\n\nThe origin sends the response head at once and the first event ${SSE_EVENT_GAP_MS} ms later (then three more, ${SSE_EVENT_GAP_MS} ms apart); the figure is the time from writing the request on a warm connection to the first body byte, so a proxy that buffers shows it here.\n\n${table(
    ['system', 'median ms', 'added ms', 'p90 ms'],
    rows,
  )}`;
}

function idleSection(r: BenchResults): string {
  const f = (s: string, m: string): number => figure(r, 'idle', s, m);
  const rows = names(r, 'idle')
    .filter((s) => s !== 'direct')
    .map((s) => [
      s,
      fmt(f(s, 'opened')),
      fmt(f(s, 'rssBeforeKiB') / 1024, 1),
      fmt(f(s, 'rssAfterKiB') / 1024, 1),
      fmt(f(s, 'kibPerTunnel'), 1),
      fmt(f(s, 'marginalKibPerTunnel'), 1) + errNote(r, 'idle', s),
      fmt(f(s, 'openSeconds'), 1),
    ]);
  return `### ${fmt(r.settings.idleTunnels)} idle tunnels\n\nEach tunnel is opened (CONNECT, TLS), serves one \`GET ${r.settings.idlePath ?? '/small'}\`, then sits idle; the proxy's resident set (its whole process tree) is read before, 2 s after the first half opened and 2 s after the rest. *KiB per tunnel* is the whole growth over the tunnel count; *second half* is the slope over the second half, which leaves out one-off growth (the V8 young generation, pools) paid during the first. \`node-tls-floor\` is a bare Node TLS server feeding an \`http.Server\`, reached without CONNECT: what any Node TLS terminator keeps per idle connection here.\n\n${table(
    [
      'system',
      'tunnels open',
      'RSS before MiB',
      'RSS after MiB',
      'KiB per tunnel',
      'KiB per tunnel, second half',
      'seconds to open',
    ],
    rows,
  )}`;
}

function status(b: BudgetLine): string {
  if (b.met === null) return 'not measured';
  return b.met ? 'met' : `**not met**${b.shortBy === '' ? '' : `: ${b.shortBy}`}`;
}

function budgetSection(r: BenchResults): string {
  const product = judgeBudget(r, 'airlock');
  const alone = judgeBudget(r, 'airlock-proxy');
  const rows = product.map((b, i) => {
    const a = alone[i];
    return [
      b.item,
      b.target,
      b.measured,
      status(b),
      a === undefined
        ? ''
        : `${a.measured}: ${a.met === null ? 'not measured' : a.met ? 'met' : 'not met'}`,
    ];
  });
  return `## Budget (DESIGN.md, "Performance budget")\n\nJudged on the **airlock** row (the product). The last column judges **airlock-proxy**, Airlock's proxy code without the store, vault and audit log around it, to show where a miss comes from (see the analysis).\n\n${table(
    ['item', 'target', 'airlock', 'status', 'airlock-proxy (diagnostic)'],
    rows,
  )}`;
}

function runLoads(r: BenchResults): string {
  const loads = r.runs.map((x) => x.load1).sort((a, b) => a - b);
  if (loads.length === 0) return 'none recorded';
  const mid = loads[loads.length >> 1] ?? 0;
  return `${(loads[0] ?? 0).toFixed(2)} to ${(loads.at(-1) ?? 0).toFixed(2)}, median ${mid.toFixed(2)}`;
}

function setupSection(r: BenchResults): string {
  const l = (a: readonly number[]): string => a.map((x) => x.toFixed(2)).join(', ');
  const runLoad = median(r.runs.map((x) => x.load1));
  const busy = runLoad > r.machine.cores + 2;
  const loadNote = busy
    ? `**The machine was loaded**: other work kept the 1-minute load average at a median of ${runLoad.toFixed(2)} when each system's run started (the bench alone accounts for about 2 on ${r.machine.cores} cores), so every figure is pessimistic and noisier than on a quiet machine; the ratios within one scenario are the robust part, since the systems took turns.`
    : r.load.quiet
      ? `The run started once the 1-minute load average was below ${r.load.threshold} (waited ${r.load.waitedS.toFixed(0)} s).`
      : `**The machine was loaded**: the 1-minute load average stayed at or above ${r.load.threshold} for the whole ${r.load.waitedS.toFixed(0)} s wait, so the run went ahead on a busy machine and every figure is pessimistic and noisier than on a quiet one.`;
  const systems = table(
    ['system', 'version', 'configuration'],
    r.systems.map((s) => [s.name, s.version, s.config.replaceAll('|', '\\|')]),
  );
  const s = r.settings;
  return `## Setup

- Machine: ${r.machine.cores} cores, ${r.machine.cpuModel}; Node ${r.machine.node}.
- Load average (1, 5, 15 min): ${l(r.load.before)} before the first scenario, ${l(r.load.after)} after the last (the bench itself keeps about two cores busy while it runs, so the second figure includes it). ${loadNote}
- 1-minute load average at the start of each system's run: ${runLoads(r)}.
- Tree measured: ${r.revision}. Date: ${r.date}.
- Origin: nginx on 127.0.0.1 with TLS (a test CA made by the bench, ECDSA P-256): \`/small\` (a ${SMALL_JSON.length}-byte JSON body from \`return 200\`), \`/big\` (${fmt(s.bigBytes / 1048576)} MiB from tmpfs), \`/upload/\` (a WebDAV \`PUT\` sink into tmpfs, answered once the whole body is in) and \`/sse\`, which nginx proxies unbuffered (\`proxy_buffering off\`) to a small Node SSE server (\`bench/upstream/sse-server.ts\`), since nginx cannot emit timed events itself.
- Every system injects the same \`Authorization: Bearer …\` for the origin (direct: the client sends it). Clients reach the origin by \`CONNECT\` and TLS inside the tunnel, trusting only that proxy's CA; no TLS session is resumed.
- Load generator: ours (\`bench/load/\`), a minimal HTTP/1.1 client on worker threads (${s.workers} for concurrency above 1); its ceiling is the **direct** row. CPU columns are fractions of one core over the run (warm-up included), read from \`/proc\`.
- Per run: ${s.warmupMs} ms warm-up and ${s.durationMs} ms measured for load scenarios; ${s.transferReps} transfers; ${s.sseReps} SSE requests; ${fmt(s.idleTunnels)} idle tunnels. Rounds: ${r.rounds} (figures are medians over rounds; idle memory is read in the first round only, on fresh processes); the systems take turns scenario by scenario.
${r.skipped.length === 0 ? '' : `- Skipped: ${r.skipped.join('; ')}\n`}
${systems}`;
}

/** Renders a run as Markdown (docs/BENCHMARKS.md), with bench/ANALYSIS.md appended. */
export async function renderReport(r: BenchResults): Promise<string> {
  const analysis = await readFile(ANALYSIS, 'utf8').catch(() => '');
  return `# Benchmarks

<!-- Generated by \`npm run bench\` (bench/run.ts); edit bench/ANALYSIS.md, not this file. -->

Airlock side by side with a direct connection and two peer intercepting
proxies, in one run on one machine. Raw figures: \`bench/results/\`.

Command: \`${r.command}\`

${budgetSection(r)}

## Results

${loadSection(r, 'keepalive-c1', 'Keep-alive small GETs, concurrency 1')}

${loadSection(r, 'keepalive-c16', 'Keep-alive small GETs, concurrency 16')}

${loadSection(r, 'keepalive-c64', 'Keep-alive small GETs, concurrency 64')}

${loadSection(r, 'tunnel-c1', 'New tunnel per request (CONNECT + both TLS handshakes), concurrency 1')}

${loadSection(r, 'tunnel-c8', 'New tunnel per request, concurrency 8')}

${transferSection(r, 'download', `${fmt(r.settings.bigBytes / 1048576)} MiB download`)}

${transferSection(r, 'upload', `${fmt(r.settings.bigBytes / 1048576)} MiB upload`)}

${sseSection(r)}

${idleSection(r)}

${setupSection(r)}
${analysis === '' ? '' : `\n${analysis.trim()}\n`}`;
}

/** Writes the report for `results` to `path`. */
export async function writeReport(results: BenchResults, path: string): Promise<void> {
  await writeFile(path, await renderReport(results));
}
