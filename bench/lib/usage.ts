import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A bad option value, found after parsing: reported in one line, exit 2. */
export class UsageError extends Error {}

/** `parseArgs`, where an unknown or malformed option prints its message and `usage` and exits 2. */
export function parseArgsOrExit<T extends ParseArgsConfig>(
  config: T,
  usage: string,
): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${usage}`);
    process.exit(2);
  }
}
