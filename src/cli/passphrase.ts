import { AirlockError } from '../core/index.ts';
import { type CliIo, readSecretInput } from './io.ts';

/** Lines of piped stdin, read once per invocation and handed out in order. */
const pipedLines = new WeakMap<CliIo, string[]>();

/**
 * Reads a passphrase: the next line of stdin when `--passphrase-stdin` is
 * given, else a hidden prompt on a terminal. Never from argv or the
 * environment. `key rotate` reads two (current, then new) this way.
 */
export async function readPassphrase(
  io: CliIo,
  fromStdin: boolean,
  prompt: string,
): Promise<string> {
  let line: string;
  if (io.stdin.isTTY === true && !fromStdin) {
    line = await readSecretInput(io, undefined, prompt);
  } else if (fromStdin) {
    let lines = pipedLines.get(io);
    if (lines === undefined) {
      lines = (await readSecretInput(io, undefined, prompt)).split(/\r?\n/);
      pipedLines.set(io, lines);
    }
    line = lines.shift() ?? '';
  } else {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      'a passphrase is needed: pass --passphrase-stdin and pipe it, or run on a terminal',
    );
  }
  if (line === '') throw new AirlockError('ERR_INVALID_ARGUMENT', 'the passphrase is empty');
  return line;
}
