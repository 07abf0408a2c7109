// Audit trail benchmarks (not a test): append throughput with and without
// group commit, and query, review and verify times against 100,000 events.
// Usage: node bench/audit.ts [--events N] [--appends N] [--concurrency C]
// Also: the CPU an event costs before its commit (build, canonical JSON,
// guard), and one writer's append latency back to back and with 80 ms between
// appends, where a VM that idles in between pays for cold caches and disk.
// Runs on a SQLite file in a temp dir with the store's real settings (WAL,
// synchronous = FULL), so every commit is an fsync.
import { randomBytes } from 'node:crypto';
import { fdatasyncSync, writeSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  type AuditEvent,
  type AuditLog,
  assertAuditSafe,
  buildAccessReview,
  canonicalJson,
  loadAuditSigner,
  openAuditLog,
  parseAuditQuery,
  proxyCompletedEvent,
  proxyDeniedEvent,
  proxyRequestEvent,
} from '../src/audit/index.ts';
import { systemClock, type WorkspaceId } from '../src/core/index.ts';
import { openSqliteStore, type Store } from '../src/store/index.ts';

const WS = 'ws_bench' as WorkspaceId;

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '100000' },
    appends: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '64' },
  },
});
const EVENTS = Number(values.events);
const APPENDS = Number(values.appends);
const CONCURRENCY = Number(values.concurrency);

function event(log: AuditLog, i: number): AuditEvent {
  const agent = `agent${i % 50}`;
  const facts = {
    agentId: `agt_${agent}`,
    agentName: agent,
    workspaceId: WS,
    service: `svc${i % 20}`,
    secretName: `secret${i % 20}`,
    scheme: 'https' as const,
    host: `api${i % 20}.example.com`,
    port: 443,
    method: 'GET',
    path: `/v1/items/${i}`,
    queryNames: ['page'],
    taskId: `task_${i % 1000}`,
  };
  if (i % 10 === 0)
    return proxyDeniedEvent(log.context, { ...facts, code: 'ERR_SCOPE_DENIED', status: 403 });
  return proxyRequestEvent(
    log.context,
    { ...facts, upgrade: false },
    { status: 200, bytesIn: 0, bytesOut: 512, durationMs: 2.5, error: null },
  );
}

async function openLog(
  dir: string,
  name: string,
  maxBatch?: number,
): Promise<{ store: Store; log: AuditLog }> {
  const store = await openSqliteStore(join(dir, `${name}.db`));
  const signer = await loadAuditSigner(store, randomBytes(32));
  const log = await openAuditLog({
    store,
    signer,
    instance: 'inst_bench',
    clock: systemClock,
    defaultWorkspace: WS,
    ...(maxBatch === undefined ? {} : { maxBatch }),
  });
  return { store, log };
}

/** `count` appends by `concurrency` workers, each awaiting its append as the proxy does. */
async function appendLoad(log: AuditLog, count: number, concurrency: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < count) await log.append(event(log, next++));
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return count / ((performance.now() - started) / 1000);
}

/** Median and p90 in µs of `count` runs of `op`, `gapMs` apart. */
async function paced(gapMs: number, count: number, op: (i: number) => unknown): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    if (gapMs > 0) await sleep(gapMs);
    const t = performance.now();
    await op(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => Math.round((times[Math.floor(times.length * q)] ?? 0) * 1000);
  return `${at(0.5)} | ${at(0.9)}`;
}

/** Mean µs of one call of `op`: the best of 7 loops of `count` calls, after one warm-up loop. */
function perCall(count: number, op: () => unknown): string {
  for (let i = 0; i < count; i++) op();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    for (let i = 0; i < count; i++) op();
    best = Math.min(best, ((performance.now() - t) * 1000) / count);
  }
  return best.toFixed(2);
}

/**
 * The CPU each proxied request spends on its two events before SQLite sees
 * them: building `proxy.request` and `proxy.completed` (with the text
 * scrub), canonical JSON, and the guard over it.
 */
function eventCpu(): void {
  const context = { instance: 'inst_bench', defaultWorkspace: WS, clock: systemClock };
  console.log('## CPU per event before the commit (mean of the best of 7 loops)\n');
  console.log('| step | proxy.request µs | proxy.completed µs |\n| --- | ---: | ---: |');
  const facts = {
    agentId: 'agt_01JBENCHAGENT',
    agentName: 'research-agent',
    workspaceId: WS,
    service: 'openai',
    secretName: 'openai-key',
    scheme: 'https' as const,
    host: 'api.openai.com',
    port: 443,
    method: 'POST',
    path: '/v1/chat/completions',
    queryNames: ['page'],
    taskId: 'task_01JBENCHTASK',
    tokenId: 'tok_01JBENCHTOKEN',
    grantId: 'grant_01JBENCH',
    secretVersion: 3,
    upgrade: false,
  };
  const outcome = { status: 200, bytesIn: 0, bytesOut: 512, durationMs: 2.5, error: null };
  const build = [
    () => proxyRequestEvent(context, facts, null),
    () => proxyCompletedEvent(context, 'evt_01JBENCHREQUEST', facts, outcome),
  ];
  const events = build.map((b) => b());
  const jsons = events.map((e) => canonicalJson(e));
  const row = (step: string, op: (i: number) => unknown) =>
    console.log(`| ${step} | ${perCall(20_000, () => op(0))} | ${perCall(20_000, () => op(1))} |`);
  row('build (with scrubText)', (i) => build[i]?.());
  row('canonical JSON', (i) => canonicalJson(events[i]));
  row('guard over the JSON', (i) => assertAuditSafe(events[i], jsons[i]));
  row('plain JSON.stringify, for scale', (i) => JSON.stringify(events[i]));
  console.log('');
}

async function timed<T>(fn: () => Promise<T>, runs = 5): Promise<{ ms: number; result: T }> {
  let result = await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    result = await fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)] ?? 0, result };
}

const dir = await mkdtemp(join(tmpdir(), 'airlock-bench-audit-'));
try {
  console.log(
    `# Audit trail benchmark\n\n${cpus()[0]?.model ?? 'cpu'} ×${cpus().length}, Node ${process.version}\n`,
  );
  eventCpu();
  console.log(
    `## Durable appends (${APPENDS} events, ${CONCURRENCY} concurrent writers, each awaiting its commit)\n`,
  );
  console.log('| mode | events/s |\n| --- | ---: |');
  for (const [label, maxBatch] of [
    ['group commit (default)', undefined],
    ['one transaction per event', 1],
  ] as const) {
    const { store, log } = await openLog(dir, label.replaceAll(/\W+/g, '-'), maxBatch);
    const rate = await appendLoad(log, APPENDS, CONCURRENCY);
    console.log(`| ${label} | ${Math.round(rate)} |`);
    await log.close();
    await store.close();
  }

  console.log(
    '\n## One writer, one event at a time: back to back, and one every 80 ms (as SSE requests come)\n',
  );
  console.log(
    'The last two rows are the floor under any durable append on this disk: one 4 KiB page\n' +
      'overwritten in a file and `fdatasync`ed, with no SQLite at all.\n',
  );
  console.log('| what | pace | median µs | p90 µs |\n| --- | --- | ---: | ---: |');
  const paces = [
    ['back to back', 0, 2000],
    ['one every 80 ms', 80, 100],
  ] as const;
  {
    const { store, log } = await openLog(dir, 'pace');
    for (const [pace, gapMs, count] of paces) {
      const row = await paced(gapMs, count, (i) => log.append(event(log, i)));
      console.log(`| audit append | ${pace} | ${row} |`);
    }
    await log.close();
    await store.close();
  }
  {
    const page = Buffer.alloc(4096, 0x61);
    const file = await open(join(dir, 'page.bin'), 'w+');
    try {
      for (let i = 0; i < 64; i++) await file.write(page, 0, page.length, i * page.length);
      await file.sync();
      for (const [pace, gapMs, count] of paces) {
        const row = await paced(gapMs, count, (i) => {
          writeSync(file.fd, page, 0, page.length, (i % 64) * page.length);
          fdatasyncSync(file.fd);
        });
        console.log(`| fdatasync of one 4 KiB page | ${pace} | ${row} |`);
      }
    } finally {
      await file.close();
    }
  }

  const { store, log } = await openLog(dir, 'query');
  const fillStart = performance.now();
  for (let i = 0; i < EVENTS; i += 5000) {
    const batch: Promise<unknown>[] = [];
    for (let j = i; j < Math.min(EVENTS, i + 5000); j++) batch.push(log.append(event(log, j)));
    await Promise.all(batch);
  }
  console.log(`\nFilled ${EVENTS} events in ${Math.round(performance.now() - fillStart)} ms.\n`);
  console.log(`## Queries against ${EVENTS} events (median of 5)\n`);
  console.log('| query | ms | rows |\n| --- | ---: | ---: |');
  const now = Date.now();
  const mid = String(Math.floor(EVENTS / 2));
  for (const q of [
    'limit=100',
    'agent=agent7&limit=100',
    'service=svc3&decision=deny&limit=100',
    'task=task_42&limit=100',
    'since=1h&kind=proxy.denied&limit=100',
    `cursor=${mid}&limit=1000`,
    'agent=agent7&order=asc&limit=1000',
    'agent=nobody&limit=100',
  ]) {
    const { ms, result } = await timed(() =>
      log.query(WS, parseAuditQuery(new URLSearchParams(q), now)),
    );
    console.log(`| \`${q}\` | ${ms.toFixed(2)} | ${result.events.length} |`);
  }
  const review = await timed(
    () =>
      buildAccessReview({
        store,
        workspace: WS,
        instance: 'inst_bench',
        sinceMs: now - 86_400_000,
        untilMs: now + 1,
        nowMs: now,
      }),
    3,
  );
  console.log(`| access review (activity over all events) | ${review.ms.toFixed(2)} | - |`);
  const verify = await timed(() => log.verify(), 1);
  console.log(`| verify the whole chain | ${verify.ms.toFixed(2)} | ${verify.result.checked} |`);
  await log.close();
  await store.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
