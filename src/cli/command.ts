import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { AirlockError } from '../core/index.ts';
import type { CliIo } from './io.ts';

/** Values parsed by `util.parseArgs`: strings, booleans, or lists of strings. */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** One runnable command (`airlock secret set`). */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** The usage line(s) and option descriptions `--help` prints after the summary. */
  readonly help: string;
  readonly options: ParseArgsOptionsConfig;
  /** Positional arguments: min and max count. */
  readonly positionals: readonly [number, number];
  run(ctx: CommandContext): Promise<number | undefined>;
}

/** A command group (`airlock secret …`). */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly Command[];
  /**
   * Runs when the word after the group is not one of `commands`, with that
   * word as its first argument: `airlock grant AGENT SERVICE` is
   * `airlock grant add AGENT SERVICE`.
   */
  readonly defaultCommand?: Command;
}

export interface CommandContext {
  readonly io: CliIo;
  readonly values: OptionValues;
  readonly positionals: readonly string[];
}

/** Options every command accepts. */
export const COMMON_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  home: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies ParseArgsOptionsConfig;

/** Options for commands that talk to a server. */
export const CLIENT_OPTIONS = {
  ...COMMON_OPTIONS,
  api: { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

const COMMON_HELP = `  --home DIR    the Airlock home (default: $AIRLOCK_HOME, else ~/.airlock)
  --json        machine-readable output
  -h, --help    show this help`;

/** Help text for clients: the common options plus `--api`. */
export const CLIENT_HELP = `${COMMON_HELP}
  --api URL     reach a remote server (default: $AIRLOCK_API, else the home's socket);
                the API key comes from $AIRLOCK_API_KEY`;

/** Parses argv for `command` and runs it, or prints its help. */
export async function runCommand(
  command: Command,
  argv: string[],
  io: CliIo,
  prefix: string,
): Promise<number> {
  let parsed: { values: OptionValues; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...COMMON_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    }) as { values: OptionValues; positionals: string[] };
  } catch (cause) {
    const message = cause instanceof Error ? cause.message.split('\n')[0] : 'bad arguments';
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      `${message} (see \`${prefix} ${command.name} --help\`)`,
      { cause },
    );
  }
  if (parsed.values.help === true) {
    // `help` already names the group (`secret set NAME`), so only the program name goes before it.
    const program = prefix.split(' ')[0] ?? prefix;
    io.out(`${command.summary}\n\nUsage: ${program} ${command.help}\n`);
    return 0;
  }
  const [min, max] = command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      `wrong number of arguments (see \`${prefix} ${command.name} --help\`)`,
    );
  }
  return (await command.run({ io, values: parsed.values, positionals: parsed.positionals })) ?? 0;
}

/** A string option's value, or undefined. */
export function str(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A repeatable string option's values. */
export function list(values: OptionValues, name: string): string[] {
  const v = values[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

/** Whether a boolean flag was given. */
export function flag(values: OptionValues, name: string): boolean {
  return values[name] === true;
}
