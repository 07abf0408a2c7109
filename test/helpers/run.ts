import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunningServer } from '../../src/server.ts';
import { CLI, initTestHome, runCli, serveTestHome, type TestHome, tempDir } from './airlock.ts';
import type { ChildResult } from './child.ts';
import { createTestPki, type TestPki } from './pki.ts';
import { startUpstream, type TestUpstream, type UpstreamHandler } from './upstream.ts';

export const OPENAI_SECRET = 'sk-real-run-test-7f3a9c1e5b2d4f60';
export const GITHUB_SECRET = 'ghp_run_test_value_0123456789abcdef';
export const OPENAI_HOST = 'api.openai.test';
export const GITHUB_HOST = 'api.github.test';

/** Echoes the request's method, URL, headers and body back as JSON. */
export const echo: UpstreamHandler = (req, res, record) => {
  const parts: Buffer[] = [];
  req.on('data', (d: Buffer) => parts.push(d));
  req.on('end', () => {
    record.body = Buffer.concat(parts).toString('utf8');
    const out = JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: record.body,
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(out);
  });
};

/** A served home with two services (each with its `--env`), an agent granted both, and echo upstreams. */
export interface RunFixture {
  readonly home: TestHome;
  readonly server: RunningServer;
  /** Stops the server and starts it again on the same home (new TCP ports, same proxy socket). */
  restart(): Promise<void>;
  readonly openai: TestUpstream;
  readonly github: TestUpstream;
  /** A private HOME and TMPDIR for the agent's parent shell. */
  readonly userHome: string;
  readonly userTmp: string;
  /** The parent shell's environment: PATH, HOME, TMPDIR, and a real key exported. */
  parentEnv(extra?: Record<string, string>): Record<string, string>;
  cli(args: readonly string[], env?: Record<string, string>): Promise<ChildResult>;
  /** `airlock run --agent coder ARGS -- CMD…` from the parent shell. */
  run(
    args: readonly string[],
    cmd: readonly string[],
    env?: Record<string, string>,
  ): Promise<ChildResult>;
  /** `airlock run` as a child the test can signal. */
  spawnRun(
    args: readonly string[],
    cmd: readonly string[],
    env?: Record<string, string>,
  ): ReturnType<typeof spawn>;
  close(): Promise<void>;
}

export async function startRunFixture(): Promise<RunFixture> {
  const home = await initTestHome();
  const pki: TestPki = await createTestPki();
  const routes = { '/v1/echo': echo, '/repos/acme/echo': echo };
  const openai = await startUpstream({ tls: pki.upstreamCert(OPENAI_HOST), routes });
  const github = await startUpstream({ tls: pki.upstreamCert(GITHUB_HOST), routes });
  const proxyOptions = {
    allowPrivate: ['127.0.0.1/32'],
    resolve: [
      { host: OPENAI_HOST, port: openai.port, address: '127.0.0.1' },
      { host: GITHUB_HOST, port: github.port, address: '127.0.0.1' },
    ],
    upstreamCa: [pki.upstreamCaPem],
  };
  let server = await serveTestHome(home.paths, undefined, proxyOptions);
  const user = await tempDir('airlock-run-user-');
  const userHome = join(user.dir, 'home');
  const userTmp = join(user.dir, 'tmp');
  await mkdir(userHome, { mode: 0o700 });
  await mkdir(userTmp, { mode: 0o700 });
  const parentEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: userHome,
    TMPDIR: userTmp,
    LANG: 'C.UTF-8',
    // A real key exported in the parent shell: it must not reach the agent.
    OPENAI_API_KEY: OPENAI_SECRET,
    GITHUB_TOKEN: GITHUB_SECRET,
    ...extra,
  });
  const cli = (args: readonly string[], env: Record<string, string> = parentEnv()) =>
    runCli([...args, '--home', home.paths.home], { env });
  const must = async (args: string[], stdin?: string): Promise<string> => {
    const r = await runCli([...args, '--home', home.paths.home], {
      env: parentEnv(),
      ...(stdin === undefined ? {} : { stdin }),
    });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  await must(['secret', 'set', 'openai'], OPENAI_SECRET);
  await must(['secret', 'set', 'github'], GITHUB_SECRET);
  await must(['agent', 'add', 'coder']);
  await must(['agent', 'add', 'helper']);
  await must([
    'service',
    'add',
    'openai',
    '--host',
    `${OPENAI_HOST}:${openai.port}`,
    '--secret',
    'openai',
    '--auth',
    'bearer',
    '--env',
    'OPENAI_API_KEY',
  ]);
  await must([
    'service',
    'add',
    'github',
    '--host',
    `${GITHUB_HOST}:${github.port}`,
    '--secret',
    'github',
    '--auth',
    'bearer',
    '--path',
    '/repos/**',
    '--env',
    'GITHUB_TOKEN',
  ]);
  for (const agent of ['coder', 'helper']) {
    await must(['grant', agent, 'openai']);
    await must(['grant', agent, 'github']);
  }
  const runArgs = (args: readonly string[], cmd: readonly string[]) => [
    'run',
    '--agent',
    'coder',
    '--home',
    home.paths.home,
    ...args,
    '--',
    ...cmd,
  ];
  return {
    home,
    get server() {
      return server;
    },
    async restart() {
      await server.close();
      server = await serveTestHome(home.paths, undefined, proxyOptions);
    },
    openai,
    github,
    userHome,
    userTmp,
    parentEnv,
    cli,
    run: (args, cmd, env = parentEnv()) => runCli(runArgs(args, cmd), { env }),
    spawnRun: (args, cmd, env = parentEnv()) =>
      spawn(process.execPath, [CLI, ...runArgs(args, cmd)], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so a test can end the command it started too.
        detached: true,
      }),
    async close() {
      await server.close();
      await openai.close();
      await github.close();
      await pki.cleanup();
      await user.cleanup();
      await home.cleanup();
    },
  };
}

/**
 * The script of a long-running agent driven step by step: for each step n
 * it waits for `go<n>` in `dir`, makes one proxied call to `url` with its
 * `$OPENAI_API_KEY` (a placeholder), and writes the HTTP status to `out<n>`.
 */
export function steppedCalls(dir: string, url: string, steps: number): string[] {
  const call = (n: number) =>
    `while [ ! -e ${dir}/go${n} ]; do sleep 0.05; done; curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $OPENAI_API_KEY" ${url} > ${dir}/out${n}.tmp; mv ${dir}/out${n}.tmp ${dir}/out${n}`;
  const script = Array.from({ length: steps }, (_, i) => call(i + 1)).join('; ');
  return ['/bin/sh', '-c', script];
}

/** Drives an `airlock run` child running {@link steppedCalls}. */
export interface SteppedAgent {
  /** Lets step n go and resolves with the status it wrote. */
  step(n: number): Promise<string>;
  /** The run's exit status. */
  readonly exited: Promise<number | null>;
  stderr(): string;
  /** Kills the run's whole process group (it was spawned detached). */
  kill(): void;
}

export function steppedAgent(child: ChildProcess, dir: string): SteppedAgent {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  return {
    exited,
    stderr: () => stderr,
    async step(n) {
      await writeFile(join(dir, `go${n}`), '');
      const deadline = Date.now() + 60_000;
      while (!existsSync(join(dir, `out${n}`))) {
        if (Date.now() > deadline) throw new Error(`step ${n} never finished: ${stderr}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
      return readFile(join(dir, `out${n}`), 'utf8');
    },
    kill() {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // ESRCH: the group is already gone.
      }
    },
  };
}
