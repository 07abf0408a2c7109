import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/core/index.ts';
import { type HomePaths, type InitRootKey, initHome, resolveHome } from '../../src/home/index.ts';
import type { ProxyOptions } from '../../src/proxy/index.ts';
import { type RunningServer, startServer } from '../../src/server.ts';

export const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

/** A fresh directory under the system temp dir; `cleanup` removes it. */
export async function tempDir(
  prefix = 'airlock-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface TestHome {
  readonly paths: HomePaths;
  readonly ownerKey: string;
  cleanup(): Promise<void>;
}

/** `airlock init` into a new temp home (in-process). */
export async function initTestHome(rootKey: InitRootKey = { kind: 'file' }): Promise<TestHome> {
  const { dir, cleanup } = await tempDir();
  const paths = resolveHome(join(dir, 'home'), {});
  const result = await initHome(paths, rootKey, systemClock);
  return { paths, ownerKey: result.ownerKey, cleanup };
}

/** Starts a server on the home with the API and the proxy on ephemeral ports. */
export function serveTestHome(
  paths: HomePaths,
  passphrase?: string,
  proxyOptions: ProxyOptions = {},
): Promise<RunningServer> {
  return startServer({
    paths,
    clock: systemClock,
    version: 'test',
    api: '127.0.0.1:0',
    proxy: '127.0.0.1:0',
    proxyOptions,
    ...(passphrase === undefined ? {} : { passphrase }),
  });
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI as a child process on this Node (24), with an explicit environment. */
export function runCli(
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

/** Calls the admin API over TCP with a bearer key; returns status and parsed JSON body. */
export async function api(
  server: RunningServer,
  key: string | null,
  method: string,
  path: string,
  body?: unknown,
  rawBody?: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`http://127.0.0.1:${server.api.port}${path}`, {
    method,
    headers,
    ...(rawBody !== undefined
      ? { body: rawBody }
      : body !== undefined
        ? { body: JSON.stringify(body) }
        : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The `error.code` of an API error body. */
export function errorCode(body: Record<string, unknown>): unknown {
  const error = body.error;
  return typeof error === 'object' && error !== null
    ? (error as Record<string, unknown>).code
    : undefined;
}
