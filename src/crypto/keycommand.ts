import { type ExecFileException, execFile } from 'node:child_process';
import { AirlockError } from '../core/index.ts';
import { MAX_KEY_TEXT_BYTES } from './keytext.ts';

/** How long a key command may run before it is killed. */
export const KEY_COMMAND_TIMEOUT_MS = 10_000;

/**
 * Runs a root key command (a KMS client, a keychain tool) and returns its
 * stdout. It runs with `execFile`, never through a shell, so arguments are
 * passed as-is. It is killed after 10 s; stdout is capped at 4 KiB; its stdin
 * is closed at once so a command waiting on input fails instead of hanging.
 *
 * A failure names only what happened (exit code, signal, timeout), never the
 * command line, stdout or stderr, and carries no `cause`: Node's error object
 * holds both streams, and either may hold the key.
 *
 * @throws AirlockError `ERR_ROOT_KEY` if the command cannot start or does not exit 0.
 */
export function runKeyCommand(command: string, args: readonly string[]): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      {
        encoding: 'buffer',
        shell: false,
        timeout: KEY_COMMAND_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: MAX_KEY_TEXT_BYTES,
        windowsHide: true,
      },
      (error, stdout, stderr) => {
        stderr.fill(0);
        if (error) {
          stdout.fill(0);
          reject(new AirlockError('ERR_ROOT_KEY', `root key command failed: ${describe(error)}`));
          return;
        }
        resolve(stdout);
      },
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end();
  });
}

function describe(error: ExecFileException): string {
  // Node's typing says `code` is a number, but it is an errno string when the
  // command cannot start and a Node error code when output overflows.
  const code: unknown = error.code;
  if (code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') return 'it printed too much output';
  if (typeof code === 'string') return `it could not be started (${code})`;
  if (error.killed === true) return 'it timed out';
  if (typeof code === 'number') return `it exited with code ${code}`;
  if (typeof error.signal === 'string') return `it was killed by ${error.signal}`;
  return 'it did not complete';
}
