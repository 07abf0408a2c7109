// `npm run bench:compare -- --base REV [--pairs N] -- BENCH-OPTIONS`: the
// benchmark run alternately in a worktree of REV and in this checkout, and
// the figures lined up. How each change in bench/ANALYSIS.md was measured,
// as one command. See bench/README.md.
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { compareRuns, renderComparison } from './lib/compare.ts';
import { run } from './lib/proc.ts';
import type { BenchResults } from './lib/results.ts';
import { parseArgsOrExit, UsageError } from './lib/usage.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'bench', 'results', 'tmp');

const USAGE = `usage: npm run bench:compare -- --base REV [--pairs N] -- [bench options]

  --base REV    the tree to compare against (a commit, branch or tag)
  --pairs N     runs of each tree, alternating base/head then head/base (default 3, at most 20)
  --json        print the comparison as JSON (figures a run lacks are null), not Markdown
  after --      options for npm run bench (--systems, --scenarios, --rounds, ...);
                --no-install is always added: run the bench once without it first

Each tree runs its own bench/ and src/; the base's worktree borrows this
checkout's node_modules. Output: a Markdown table on stdout, and the table
and every run's raw JSON path in bench/results/tmp/compare-*.md.
`;

function parseOptions(): { base: string; pairs: number; json: boolean; benchArgs: string[] } {
  const { values, positionals } = parseArgsOrExit(
    {
      options: {
        base: { type: 'string' },
        pairs: { type: 'string', default: '3' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: true,
    },
    USAGE,
  );
  if (values.help === true) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (values.base === undefined || values.base === '')
    throw new UsageError('--base REV is required');
  // Never handed to git where it could read as an option.
  if (values.base.startsWith('-')) throw new UsageError(`--base ${values.base} is not a revision`);
  const pairs = Number(values.pairs);
  if (!Number.isInteger(pairs) || pairs < 1 || pairs > 20) {
    throw new UsageError(`--pairs must be an integer in 1..20, not ${values.pairs}`);
  }
  const benchArgs = positionals.filter((a) => a !== '--no-install');
  if (benchArgs.some((a) => a === '--report' || a.startsWith('--report='))) {
    throw new UsageError('--report re-renders a published run; it is not a run to compare');
  }
  return { base: values.base, pairs, json: values.json === true, benchArgs };
}

async function revision(tree: string, rev = 'HEAD'): Promise<string> {
  const r = await run('git', ['-C', tree, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`], {
    allowFail: true,
  });
  const sha = r.stdout.trim();
  if (r.code !== 0 || sha === '') throw new UsageError(`--base ${rev} is not a commit here`);
  return sha;
}

/** The bench run in progress, and its exit: stopped with the comparison. */
let current: { child: ReturnType<typeof spawn>; closed: Promise<void> } | null = null;
/** Set on Ctrl-C or SIGTERM: the signal handler ends the process, not a failing run. */
let stopping = false;

/**
 * Runs `node bench/run.ts` in `tree`, relaying its progress; resolves with
 * its raw results and where they are kept (a copy under this checkout's
 * bench/results/tmp/, since the base's worktree is removed).
 */
function benchIn(
  tree: string,
  label: string,
  args: readonly string[],
): Promise<{ results: BenchResults; file: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(tree, 'bench', 'run.ts'), ...args, '--no-install'],
      {
        cwd: tree,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    current = { child, closed: new Promise((done) => child.once('close', () => done())) };
    let raw: string | null = null;
    createInterface({ input: child.stderr }).on('line', (line) => {
      process.stderr.write(`[${label}] ${line}\n`);
      const m = /^\[bench\] raw results: (.+)$/.exec(line);
      if (m !== null) raw = m[1] ?? null;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      current = null;
      const from = raw;
      if (code !== 0 || from === null) {
        reject(new Error(`the bench in ${label} exited ${code} without results`));
        return;
      }
      const file = from.startsWith(`${OUT}/`) ? from : join(OUT, `compare-base-${basename(from)}`);
      mkdir(OUT, { recursive: true })
        .then(() => (file === from ? undefined : copyFile(from, file)))
        .then(() => readFile(file, 'utf8'))
        .then((text) => resolve({ results: JSON.parse(text) as BenchResults, file }))
        .catch(reject);
    });
  });
}

async function main(): Promise<void> {
  const { base, pairs, json, benchArgs } = parseOptions();
  const baseSha = await revision(ROOT, base);
  const headSha = await revision(ROOT);
  const dir = await mkdtemp(join(tmpdir(), 'airlock-bench-compare-'));
  const worktree = join(dir, 'base');
  await run('git', ['-C', ROOT, 'worktree', 'add', '--detach', '--quiet', worktree, baseSha]);
  const removeWorktree = async () => {
    await run('git', ['-C', ROOT, 'worktree', 'remove', '--force', worktree], { allowFail: true });
    await rm(dir, { recursive: true, force: true });
  };
  // Ctrl-C: the worktree must not outlive the run.
  // The bench stops its systems on SIGINT; its worktree goes once it has.
  const onSignal = () => {
    stopping = true;
    const running = current;
    running?.child.kill('SIGINT');
    void Promise.race([running?.closed, sleep(15_000)])
      .then(removeWorktree)
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await symlink(join(ROOT, 'node_modules'), join(worktree, 'node_modules'), 'dir');
    const baseRuns: BenchResults[] = [];
    const headRuns: BenchResults[] = [];
    const runs: { tree: 'base' | 'head'; pair: number; revision: string; file: string }[] = [];
    for (let i = 0; i < pairs; i++) {
      // base, head, then head, base: a drift of the machine favours neither.
      const order = i % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const);
      for (const which of order) {
        const label = `${which} ${i + 1}/${pairs}`;
        const done = await benchIn(which === 'base' ? worktree : ROOT, label, benchArgs);
        (which === 'base' ? baseRuns : headRuns).push(done.results);
        runs.push({ tree: which, pair: i + 1, revision: done.results.revision, file: done.file });
      }
    }
    const rows = compareRuns(baseRuns, headRuns);
    const table = renderComparison(rows);
    const head = `base ${baseSha.slice(0, 7)} (${baseRuns[0]?.revision ?? '?'}), head ${headRuns[0]?.revision ?? headSha.slice(0, 7)}; pairs: ${pairs}; npm run bench -- ${benchArgs.join(' ')} --no-install\n\n`;
    if (json) {
      const report = { base: baseSha, head: headSha, pairs, benchArgs, rows, runs };
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else process.stdout.write(head + table);
    const out = join(OUT, `compare-${new Date().toISOString().replaceAll(':', '-')}.md`);
    const sources = runs.map((r) => `- ${r.tree} ${r.pair}: ${r.revision}, ${r.file}`).join('\n');
    await writeFile(out, `${head}${table}\nRuns:\n${sources}\n`);
    process.stderr.write(`[compare] written to ${out}\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await removeWorktree();
  }
}

main().catch((err: unknown) => {
  if (stopping) return;
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
