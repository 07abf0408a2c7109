import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { AirlockError } from '../core/index.ts';

/** Signals passed on to the agent: it decides how to stop, and its exit status is ours. */
export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** Where forwarded signals are received: the process, or a stand-in in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

/** What to start, and how. */
export interface LaunchOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** The whole environment of the child: nothing else is inherited. */
  readonly env: Readonly<Record<string, string>>;
  readonly signals?: SignalSource;
  readonly cwd?: string;
}

/**
 * Starts `command` with exactly `env`, sharing this process's terminal
 * (stdin, stdout and stderr are inherited), forwards SIGINT, SIGTERM and
 * SIGHUP to it while it runs, and resolves with its exit status: its code,
 * or 128 + the signal number when a signal ended it, as a shell reports it.
 * A command that cannot be started is `ERR_COMMAND_FAILED`.
 */
export function launch(options: LaunchOptions): Promise<number> {
  const signals = options.signals ?? process;
  return new Promise((resolve, reject) => {
    const child = spawn(options.command, [...options.args], {
      env: { ...options.env },
      stdio: 'inherit',
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    const relays = FORWARDED_SIGNALS.map((signal) => {
      const relay = (): void => {
        child.kill(signal);
      };
      signals.on(signal, relay);
      return [signal, relay] as const;
    });
    const stop = (): void => {
      for (const [signal, relay] of relays) signals.off(signal, relay);
    };
    child.once('error', (err) => {
      stop();
      reject(
        new AirlockError('ERR_COMMAND_FAILED', `cannot start ${options.command.slice(0, 200)}`, {
          cause: err,
        }),
      );
    });
    child.once('exit', (code, signal) => {
      stop();
      if (code !== null) resolve(code);
      else resolve(128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
    });
  });
}
