import { spawn } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { AirlockError, type ErrorCode } from '../../core/index.ts';
import { PROVIDER_NAME } from './ref.ts';

/** The exec provider protocol version this Airlock speaks. */
export const PROVIDER_PROTOCOL_VERSION = 1;
/** Default and largest time one provider call may take. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 120_000;
/** Largest stdout a provider may write: 1 MiB. Its stderr is counted, never kept. */
const MAX_OUTPUT_BYTES = 1024 * 1024;
const MAX_ARGS = 64;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** An exec provider as declared (store, API, `airlock apply`). No shell is ever involved. */
export interface ExecProvider {
  readonly name: string;
  /** Absolute path of the program. */
  readonly command: string;
  readonly args: readonly string[];
  readonly timeoutMs: number;
  /** Names of the server's environment variables passed to the child; nothing else is. */
  readonly env: readonly string[];
}

/** The outcome for one id: its value, or a stable code and a message free of secrets. */
export type ProviderResult =
  | { readonly ok: true; readonly value: string }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

function bad(field: string, reason: string): AirlockError {
  return new AirlockError('ERR_INVALID_ARGUMENT', `provider ${field}: ${reason}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * Parses a provider declaration from untrusted input:
 * `{ name, command, args?, timeoutMs?, env? }`. The command must be an
 * absolute path; args are plain strings (there is no shell to interpret
 * them); `env` lists variable names only. Unknown fields are refused.
 */
export function parseExecProvider(input: unknown): ExecProvider {
  if (!isRecord(input)) throw bad('declaration', 'must be an object');
  for (const key of Object.keys(input)) {
    if (!['name', 'command', 'args', 'timeoutMs', 'env'].includes(key)) {
      throw bad('declaration', `unknown field${/^[A-Za-z]{1,32}$/.test(key) ? ` "${key}"` : ''}`);
    }
  }
  const name = own(input, 'name');
  if (typeof name !== 'string' || !PROVIDER_NAME.test(name)) {
    throw bad('name', 'starts with a letter, then up to 63 of A-Z a-z 0-9 _ . -');
  }
  const command = own(input, 'command');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (typeof command !== 'string' || !isAbsolute(command) || /[\u0000-\u001f]/.test(command)) {
    throw bad('command', 'must be an absolute path');
  }
  const args = own(input, 'args') ?? [];
  if (!Array.isArray(args) || args.length > MAX_ARGS) {
    throw bad('args', `must be a list of at most ${MAX_ARGS} strings`);
  }
  for (const a of args) {
    if (typeof a !== 'string' || a.length > 4096 || a.includes('\u0000')) {
      throw bad('args', 'must be strings of at most 4096 characters');
    }
  }
  const timeoutMs = own(input, 'timeoutMs') ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isSafeInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > MAX_TIMEOUT_MS
  ) {
    throw bad('timeoutMs', `must be an integer from 1 to ${MAX_TIMEOUT_MS}`);
  }
  const env = own(input, 'env') ?? [];
  if (!Array.isArray(env) || env.some((e: unknown) => typeof e !== 'string' || !ENV_NAME.test(e))) {
    throw bad('env', 'must be a list of environment variable names');
  }
  return {
    name,
    command,
    args: args as string[],
    timeoutMs,
    env: [...new Set(env as string[])].sort(),
  };
}

function failure(code: ErrorCode, message: string): AirlockError {
  return new AirlockError(code, message);
}

/** The child's environment: exactly the allowlisted variables that the server has. */
function childEnv(provider: ExecProvider, serverEnv: Readonly<Record<string, string | undefined>>) {
  const env: Record<string, string> = {};
  for (const name of provider.env) {
    const value = serverEnv[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/**
 * Runs one provider call for all of `ids` (versioned protocol, one process
 * per call): the request `{"protocolVersion":1,"provider":NAME,"ids":[…]}`
 * goes on stdin; stdout must be `{"protocolVersion":1,"values":{ID:"…"},
 * "errors":{ID:{"code":"NOT_FOUND"}}}`.
 *
 * The program runs without a shell, in its own process group, with only the
 * allowlisted environment; at the timeout the whole group is killed
 * (`ERR_PROVIDER_TIMEOUT`). Stdout is capped; stderr is drained and
 * counted but never kept, since a provider may print a secret there. A
 * non-zero exit is `ERR_PROVIDER_FAILED`, output that breaks the protocol
 * `ERR_PROVIDER_PROTOCOL`; neither message quotes the output.
 */
export function runExecProvider(
  provider: ExecProvider,
  ids: readonly string[],
  serverEnv: Readonly<Record<string, string | undefined>>,
): Promise<Map<string, ProviderResult>> {
  const who = `provider ${provider.name}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const stdout: Buffer[] = [];
    let outBytes = 0;
    const child = spawn(provider.command, [...provider.args], {
      env: childEnv(provider, serverEnv),
      cwd: '/',
      shell: false,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const killGroup = () => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const finish = (err: AirlockError | null, result?: Map<string, ProviderResult>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err !== null) {
        killGroup();
        reject(err);
      } else if (result !== undefined) {
        resolve(result);
      }
    };
    const timer = setTimeout(
      () =>
        finish(
          failure('ERR_PROVIDER_TIMEOUT', `${who} did not answer within ${provider.timeoutMs} ms`),
        ),
      provider.timeoutMs,
    );
    child.on('error', (err) =>
      finish(
        new AirlockError('ERR_PROVIDER_FAILED', `${who} could not be started`, { cause: err }),
      ),
    );
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT_BYTES) {
        finish(
          failure('ERR_PROVIDER_PROTOCOL', `${who} wrote more than ${MAX_OUTPUT_BYTES} bytes`),
        );
      } else {
        stdout.push(chunk);
      }
    });
    // Drained so a chatty provider never blocks on a full pipe; never stored or logged.
    child.stderr.on('data', () => {});
    child.stdin.on('error', () => {});
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const how = signal === null ? `exited with status ${code}` : `was killed by ${signal}`;
        finish(failure('ERR_PROVIDER_FAILED', `${who} ${how}`));
        return;
      }
      try {
        finish(null, parseResponse(Buffer.concat(stdout), ids, who));
      } catch (err) {
        finish(
          err instanceof AirlockError
            ? err
            : failure('ERR_PROVIDER_PROTOCOL', `${who} broke the protocol`),
        );
      } finally {
        for (const b of stdout) b.fill(0);
      }
    });
    child.stdin.end(
      JSON.stringify({ protocolVersion: PROVIDER_PROTOCOL_VERSION, provider: provider.name, ids }),
    );
  });
}

const PROVIDER_CODE = /^[A-Z][A-Z0-9_]{0,31}$/;

function parseResponse(
  raw: Buffer,
  ids: readonly string[],
  who: string,
): Map<string, ProviderResult> {
  const protocol = (why: string) =>
    failure('ERR_PROVIDER_PROTOCOL', `${who} broke the protocol: ${why}`);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    // No `cause`: JSON.parse's message would quote the provider's output.
    throw protocol('stdout is not one JSON object');
  }
  if (!isRecord(body)) throw protocol('stdout is not one JSON object');
  if (own(body, 'protocolVersion') !== PROVIDER_PROTOCOL_VERSION) {
    throw protocol(`protocolVersion must be ${PROVIDER_PROTOCOL_VERSION}`);
  }
  const values = own(body, 'values') ?? {};
  const errors = own(body, 'errors') ?? {};
  if (!isRecord(values) || !isRecord(errors)) throw protocol('values and errors must be objects');
  const out = new Map<string, ProviderResult>();
  for (const id of ids) {
    const value = own(values, id);
    const error = own(errors, id);
    if (typeof value === 'string' && value !== '') {
      out.set(id, { ok: true, value });
    } else if (value !== undefined) {
      out.set(id, {
        ok: false,
        code: 'ERR_PROVIDER_PROTOCOL',
        message: `${who} gave a value that is not a non-empty string`,
      });
    } else if (isRecord(error)) {
      const code = own(error, 'code');
      const shown = typeof code === 'string' && PROVIDER_CODE.test(code) ? code : 'ERROR';
      out.set(
        id,
        shown === 'NOT_FOUND'
          ? { ok: false, code: 'ERR_PROVIDER_NOT_FOUND', message: `${who} has no such id` }
          : { ok: false, code: 'ERR_PROVIDER_FAILED', message: `${who} answered ${shown}` },
      );
    } else {
      out.set(id, {
        ok: false,
        code: 'ERR_PROVIDER_PROTOCOL',
        message: `${who} did not answer for an id`,
      });
    }
  }
  return out;
}
