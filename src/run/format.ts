import { AirlockError } from '../core/index.ts';

/** How `airlock env` prints an environment. */
export type EnvFormat = 'dotenv' | 'json' | 'shell';

/** Parses `--format`. */
export function parseEnvFormat(text: string | undefined): EnvFormat {
  if (text === undefined || text === 'dotenv') return 'dotenv';
  if (text === 'json' || text === 'shell') return text;
  throw new AirlockError('ERR_INVALID_ARGUMENT', '--format is dotenv, json or shell');
}

/** `'value'` for a POSIX shell: single quotes, each `'` written as `'\''`. */
function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * An environment as text: `NAME=value` lines for `docker run --env-file`
 * (which takes values literally, so none may hold a newline), `export
 * NAME='value'` lines for a shell, or a JSON object. Names are sorted.
 */
export function formatEnv(env: Readonly<Record<string, string>>, format: EnvFormat): string {
  const names = Object.keys(env).sort();
  if (format === 'json') {
    const sorted: Record<string, string> = {};
    for (const n of names) sorted[n] = env[n] ?? '';
    return `${JSON.stringify(sorted, null, 2)}\n`;
  }
  let out = '';
  for (const n of names) {
    const value = env[n] ?? '';
    if (format === 'shell') {
      out += `export ${n}=${shellQuote(value)}\n`;
      continue;
    }
    if (/[\r\n]/.test(value)) {
      throw new AirlockError('ERR_INVALID_ARGUMENT', `${n} holds a newline; use --format json`);
    }
    out += `${n}=${value}\n`;
  }
  return out;
}
