import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A long-running child the bench started; its output goes to a log file. */
export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  readonly log: string;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and waits for the exit. */
  stop(): Promise<void>;
}

/** Starts `command` with stdout and stderr appended to `log`. */
export function startService(
  name: string,
  command: string,
  args: readonly string[],
  log: string,
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Service {
  const out = createWriteStream(log, { flags: 'a' });
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: options.env ?? process.env,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
  });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  return {
    name,
    child,
    log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      out.end();
    },
  };
}

/** Runs a command to completion and returns its output; rejects on a non-zero exit. */
export function run(
  command: string,
  args: readonly string[],
  options: { input?: string; env?: NodeJS.ProcessEnv; allowFail?: boolean } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', (err) => {
      if (options.allowFail === true) resolve({ code: null, stdout, stderr: String(err) });
      else reject(err);
    });
    child.on('close', (code) => {
      if (code !== 0 && options.allowFail !== true) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      } else resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** Resolves once a TCP connection to `host:port` succeeds; rejects after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port}`);
    await sleep(100);
  }
}

/** A free TCP port on 127.0.0.1 (bound and released; the bench runs alone on loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function parentOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return null;
  }
}

async function rssKiB(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Resident memory (KiB) of `root` and every process descended from it (helpers, workers). */
export async function treeRssKiB(root: number): Promise<number> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const parents = new Map<number, number | null>();
  await Promise.all(pids.map(async (p) => parents.set(p, await parentOf(p))));
  const inTree = (pid: number): boolean => {
    let p: number | null | undefined = pid;
    for (let depth = 0; p !== null && p !== undefined && depth < 64; depth++) {
      if (p === root) return true;
      p = parents.get(p);
    }
    return false;
  };
  let total = 0;
  for (const p of pids) if (inTree(p)) total += await rssKiB(p);
  return total;
}

/** Clock ticks per second for `/proc/PID/stat` CPU times (`getconf CLK_TCK`; 100 on Linux). */
const CLK_TCK = 100;

async function cpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3.
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** CPU time (user + system, milliseconds) used so far by each of `roots` and their descendants. */
export async function treeCpuMs(roots: readonly number[]): Promise<number> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const parents = new Map<number, number | null>();
  await Promise.all(pids.map(async (p) => parents.set(p, await parentOf(p))));
  const rootSet = new Set(roots);
  let total = 0;
  for (const pid of pids) {
    let p: number | null | undefined = pid;
    for (let depth = 0; p !== null && p !== undefined && depth < 64; depth++) {
      if (rootSet.has(p)) {
        total += await cpuMs(pid);
        break;
      }
      p = parents.get(p);
    }
  }
  return total;
}

/** A child Node script that announced itself with one JSON line on stdout. */
export interface JsonChild<T> {
  readonly pid: number | null;
  readonly hello: T;
  stop(): Promise<void>;
}

/**
 * Runs a Node script (with `nodeArgs` before it) and resolves with the first
 * JSON line it prints; its stderr goes to `log`. `stop` sends SIGTERM, then
 * SIGKILL after 5 s.
 */
export async function startJsonChild<T>(
  script: string,
  nodeArgs: readonly string[],
  env: NodeJS.ProcessEnv,
  log: string,
): Promise<JsonChild<T>> {
  const out = createWriteStream(log, { flags: 'a' });
  const child = spawn(process.execPath, [...nodeArgs, script], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  child.stderr.pipe(out);
  const hello = await new Promise<T>((resolve, reject) => {
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as T);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}; see ${log}`)));
  });
  return {
    pid: child.pid ?? null,
    hello,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
