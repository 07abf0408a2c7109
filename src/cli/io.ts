import { readFile } from 'node:fs/promises';
import type { Readable, Writable } from 'node:stream';
import { AirlockError } from '../core/index.ts';

/** The process surface a command uses; tests pass their own. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stderr: Writable;
  out(text: string): void;
  err(text: string): void;
}

/** Wraps the real process streams. */
export function processIo(): CliIo {
  return {
    env: process.env,
    stdin: process.stdin,
    stderr: process.stderr,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}

/** Prints a value as pretty JSON. */
export function printJson(io: CliIo, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Prints rows as an aligned table under upper-case headings. */
export function printTable(
  io: CliIo,
  headings: readonly string[],
  rows: readonly (readonly string[])[],
): void {
  const widths = headings.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  io.out(`${[line(headings.map((h) => h.toUpperCase())), ...rows.map(line)].join('\n')}\n`);
}

const MAX_INPUT_BYTES = 1024 * 1024;

/** Removes one trailing newline (`\n` or `\r\n`), so `echo value |` stores `value`. */
function chompOne(text: string): string {
  if (text.endsWith('\r\n')) return text.slice(0, -2);
  if (text.endsWith('\n')) return text.slice(0, -1);
  return text;
}

/**
 * Reads a secret value from `--from-file` or stdin (hidden prompt on a TTY),
 * never from argv. One trailing newline is removed.
 */
export async function readSecretInput(
  io: CliIo,
  fromFile: string | undefined,
  prompt: string,
): Promise<string> {
  if (fromFile !== undefined) {
    let bytes: Buffer;
    try {
      bytes = await readFile(fromFile);
    } catch (cause) {
      throw new AirlockError('ERR_INVALID_ARGUMENT', `cannot read ${fromFile}`, { cause });
    }
    if (bytes.length > MAX_INPUT_BYTES) {
      throw new AirlockError(
        'ERR_VALUE_TOO_LARGE',
        `${fromFile} is larger than ${MAX_INPUT_BYTES} bytes`,
      );
    }
    return chompOne(bytes.toString('utf8'));
  }
  if (io.stdin.isTTY === true) return promptHidden(io, prompt);
  return chompOne(await readAll(io.stdin));
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_INPUT_BYTES) {
      throw new AirlockError(
        'ERR_VALUE_TOO_LARGE',
        `input is larger than ${MAX_INPUT_BYTES} bytes`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from a TTY without echoing it. */
function promptHidden(io: CliIo, prompt: string): Promise<string> {
  io.err(prompt);
  const stdin = io.stdin;
  stdin.setRawMode?.(true);
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (err: AirlockError | null) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.err('\n');
      if (err === null) resolve(text);
      else reject(err);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(null);
        if (ch === '\u0003') return done(new AirlockError('ERR_INVALID_ARGUMENT', 'cancelled'));
        if (ch === '\u007f') text = text.slice(0, -1);
        else text += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
