// `npm run bench`: Airlock against a direct connection, mitmproxy and squid,
// on one local HTTPS origin, in one run. Writes bench/results/*.json and
// regenerates docs/BENCHMARKS.md. See bench/README.md.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureTools, type Tool } from './lib/install.ts';
import { createBenchPki } from './lib/pki.ts';
import { run } from './lib/proc.ts';
import { writeReport } from './lib/report.ts';
import type { BenchResults, SystemInfo } from './lib/results.ts';
import {
  IDLE_PATHS,
  type IdlePath,
  runScenario,
  SCENARIO_IDS,
  type ScenarioId,
  type ScenarioRun,
  type ScenarioSettings,
} from './lib/scenarios.ts';
import { parseArgsOrExit, UsageError } from './lib/usage.ts';
import { startAirlock } from './systems/airlock.ts';
import { startFloor } from './systems/floor.ts';
import { startMitmproxy } from './systems/mitmproxy.ts';
import { startProxyOnly } from './systems/proxy-only.ts';
import { startSquid } from './systems/squid.ts';
import {
  type BenchSystem,
  SYSTEM_NAMES,
  type SystemContext,
  type SystemName,
} from './systems/types.ts';
import { startOrigin } from './upstream/origin.ts';

const ROOT = join(import.meta.dirname, '..');
const HOST = 'api.bench.local';

const USAGE = `usage: npm run bench -- [options]   (options and what they do: bench/README.md)

  --systems a,b        ${SYSTEM_NAMES.join(', ')} (default: all)
  --scenarios a,b      ${SCENARIO_IDS.join(', ')} (default: all)
  --rounds N           repeat every scenario; figures are medians (default 1)
  --workers N          load-generator threads above concurrency 1 (default 2)
  --quick              short windows, small transfers, 200 idle tunnels
  --profile            run Airlock with --cpu-prof
  --wait-load X        wait for the 1-minute load average to fall below X (default 1.0)
  --wait-max S         ...for at most S seconds (default 300)
  --no-install         do not apt-get install missing peers
  --idle-path P        /small (default) or /medium: each idle tunnel's one GET
  --airlock-home-dir D where the airlock row keeps its home (default: a temp dir)
  --report FILE        re-render docs/BENCHMARKS.md from a full run's JSON
`;

const { values } = parseArgsOrExit(
  {
    options: {
      quick: { type: 'boolean', default: false },
      systems: { type: 'string', default: SYSTEM_NAMES.join(',') },
      scenarios: { type: 'string', default: SCENARIO_IDS.join(',') },
      rounds: { type: 'string', default: '1' },
      workers: { type: 'string', default: '2' },
      profile: { type: 'boolean', default: false },
      'wait-load': { type: 'string', default: '1.0' },
      'wait-max': { type: 'string', default: '300' },
      'no-install': { type: 'boolean', default: false },
      'airlock-home-dir': { type: 'string' },
      'idle-path': { type: 'string', default: '/small' },
      report: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  },
  USAGE,
);

function log(s: string): void {
  process.stderr.write(`[bench] ${s}\n`);
}

function pick<T extends string>(text: string, all: readonly T[], what: string): T[] {
  const wanted = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const w of wanted) {
    if (!all.includes(w as T))
      throw new UsageError(`unknown ${what} ${w}; one of ${all.join(', ')}`);
  }
  return all.filter((a) => wanted.includes(a));
}

/** Polls the 1-minute load average until it is below `threshold`, for at most `maxS` seconds. */
async function waitForQuiet(
  threshold: number,
  maxS: number,
): Promise<{ waitedS: number; quiet: boolean }> {
  const start = Date.now();
  for (;;) {
    const l = loadavg()[0] ?? 0;
    const waitedS = (Date.now() - start) / 1000;
    if (l < threshold) return { waitedS, quiet: true };
    if (waitedS >= maxS) return { waitedS, quiet: false };
    log(`load ${l.toFixed(2)} ≥ ${threshold}; waiting (${Math.round(waitedS)}/${maxS} s)`);
    await sleep(10_000);
  }
}

async function gitRevision(): Promise<string> {
  const head = await run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { allowFail: true });
  const dirty = await run('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src'], {
    allowFail: true,
  });
  return `${head.stdout.trim() || 'unknown'}${dirty.stdout.trim() === '' ? '' : ' (src/ has uncommitted changes)'}`;
}

/** `--report FILE`: re-renders docs/BENCHMARKS.md from a full run's JSON (after editing ANALYSIS.md). */
async function reportOnly(file: string): Promise<void> {
  const results = JSON.parse(await readFile(file, 'utf8')) as BenchResults;
  await writeReport(results, join(ROOT, 'docs', 'BENCHMARKS.md'));
  log(`wrote docs/BENCHMARKS.md from ${file}`);
}

async function main(): Promise<void> {
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  if (values.report !== undefined) return reportOnly(values.report);
  const quick = values.quick === true;
  const systems = pick(values.systems ?? '', SYSTEM_NAMES, 'system');
  const scenarios = pick(values.scenarios ?? '', SCENARIO_IDS, 'scenario');
  const rounds = Math.max(1, Number(values.rounds));
  const idlePath = values['idle-path'] as IdlePath;
  if (!IDLE_PATHS.includes(idlePath))
    throw new UsageError(`unknown --idle-path ${idlePath}; one of ${IDLE_PATHS.join(', ')}`);
  // The published run is the budget's: idle tunnels that served the small answer.
  const full =
    !quick &&
    idlePath === '/small' &&
    systems.length === SYSTEM_NAMES.length &&
    scenarios.length === SCENARIO_IDS.length;
  const settings: ScenarioSettings = quick
    ? {
        warmupMs: 300,
        durationMs: 1500,
        bigBytes: 16 << 20,
        transferReps: 2,
        sseReps: 10,
        idleTunnels: 200,
        idlePath,
        workers: Number(values.workers),
      }
    : {
        warmupMs: 1000,
        durationMs: 5000,
        bigBytes: 64 << 20,
        transferReps: 5,
        sseReps: 40,
        idleTunnels: 2000,
        idlePath,
        workers: Number(values.workers),
      };

  const wanted: Tool[] = ['nginx'];
  if (systems.includes('mitmproxy')) wanted.push('mitmproxy');
  if (systems.includes('squid')) wanted.push('squid');
  const tools =
    values['no-install'] === true
      ? { available: new Set<Tool>(wanted), notes: [] }
      : await ensureTools(wanted, log);
  if (!tools.available.has('nginx'))
    throw new Error(`nginx is required: ${tools.notes.join('; ')}`);
  const skipped: string[] = [...tools.notes];

  // Read before any system starts: the tree they run is the one measured, even
  // if src/ changes while the run goes on.
  const revision = await gitRevision();
  const dir = await mkdtemp(join(tmpdir(), 'airlock-bench-'));
  const resultsDir = join(ROOT, 'bench', 'results');
  const profileDir =
    values.profile === true ? join(resultsDir, 'tmp', `profile-${Date.now()}`) : null;
  if (profileDir !== null) await mkdir(profileDir, { recursive: true });
  const pki = await createBenchPki(dir, HOST);
  const origin = await startOrigin(dir, pki, settings.bigBytes);
  const ctx: SystemContext = {
    dir,
    pki,
    host: HOST,
    originPort: origin.port,
    secret: `bench_${randomBytes(16).toString('hex')}`,
    airlockHomeParent: values['airlock-home-dir'] ?? dir,
    profileDir,
  };
  const started: BenchSystem[] = [];
  const stopAll = async (): Promise<void> => {
    for (const s of [...started].reverse()) await s.stop().catch(() => {});
    await origin.stop().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  const runs: ScenarioRun[] = [];
  const infos: SystemInfo[] = [];
  let waited = { waitedS: 0, quiet: true };
  let loadBefore = loadavg();
  try {
    const starters: Record<SystemName, () => Promise<BenchSystem>> = {
      direct: async () => ({
        name: 'direct',
        version: origin.nginxVersion,
        target: {
          servername: HOST,
          port: origin.port,
          address: '127.0.0.1',
          ca: pki.upstreamCaPem,
          proxy: null,
          extraHeaders: `Authorization: Bearer ${ctx.secret}\r\n`,
        },
        pid: null,
        scenarios: null,
        config: 'no proxy: TLS straight to nginx, the client sends the header itself',
        stop: async () => {},
      }),
      airlock: () => startAirlock(ctx),
      'airlock-tmpfs': () => startAirlock(ctx, 'airlock-tmpfs'),
      'airlock-proxy': () => startProxyOnly(ctx),
      'node-tls-floor': () => startFloor(ctx),
      mitmproxy: () => startMitmproxy(ctx),
      squid: () => startSquid(ctx),
    };
    for (const name of systems) {
      if ((name === 'mitmproxy' || name === 'squid') && !tools.available.has(name)) {
        skipped.push(`${name}: skipped, not installed`);
        continue;
      }
      log(`starting ${name}`);
      try {
        const system = await starters[name]();
        started.push(system);
        infos.push({
          name: system.name,
          version: system.version,
          config: system.config,
          scenarios: system.scenarios,
        });
      } catch (err) {
        skipped.push(
          `${name}: skipped, failed to start: ${err instanceof Error ? err.message : String(err)}`,
        );
        log(`${name} failed to start: ${String(err)}`);
      }
    }
    waited = await waitForQuiet(Number(values['wait-load']), Number(values['wait-max']));
    loadBefore = loadavg();
    const probes = { origin: origin.pids };
    for (let round = 1; round <= rounds; round++) {
      for (const id of scenarios) {
        for (const system of started) {
          if (system.scenarios !== null && !system.scenarios.includes(id)) continue;
          // Idle memory is read on each proxy's fresh process only: later rounds would
          // reuse what the load scenarios grew and freed.
          if (id === 'idle' && round > 1) continue;
          const r = await runScenario(id as ScenarioId, system, settings, probes, round);
          if (r === null) continue;
          runs.push(r);
          const figures = Object.entries(r.metrics)
            .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(3)}`)
            .join(' ');
          log(
            `round ${round} ${id} ${system.name}: ${figures}${r.errors > 0 ? ` errors=${r.errors} (${r.firstError})` : ''}`,
          );
        }
      }
    }
  } finally {
    await stopAll();
  }
  const cpu = cpus();
  const results: BenchResults = {
    date: new Date().toISOString(),
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    revision,
    machine: {
      cores: cpu.length,
      cpuModel: cpu[0]?.model ?? 'unknown',
      node: process.versions.node,
    },
    load: {
      before: loadBefore,
      after: loadavg(),
      waitedS: waited.waitedS,
      quiet: waited.quiet,
      threshold: Number(values['wait-load']),
    },
    settings,
    rounds,
    systems: infos,
    skipped,
    runs,
  };
  const stamp = results.date.replace(/[:.]/g, '-');
  const outDir = full ? resultsDir : join(resultsDir, 'tmp');
  await mkdir(outDir, { recursive: true });
  const jsonPath = join(outDir, `${stamp}.json`);
  await writeFile(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  log(`raw results: ${jsonPath}`);
  if (full) {
    await writeFile(join(resultsDir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeReport(results, join(ROOT, 'docs', 'BENCHMARKS.md'));
    log('wrote docs/BENCHMARKS.md');
  } else {
    await writeReport(results, join(outDir, `${stamp}.md`));
    log(`partial run: report in ${join(outDir, `${stamp}.md`)} (docs/BENCHMARKS.md untouched)`);
  }
  if (profileDir !== null) log(`Airlock CPU profile in ${profileDir}`);
}

await main().catch((err: unknown) => {
  // A bad option is a usage error, not a crash: one line, exit 2.
  if (err instanceof UsageError) {
    log(err.message);
    process.exit(2);
  }
  throw err;
});
