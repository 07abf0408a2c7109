import { AirlockError } from '../../core/index.ts';

/** One `KEY=value` of a dotenv file, with the 1-based line it starts on. */
export interface DotenvEntry {
  readonly value: string;
  readonly line: number;
}

const KEY = /^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=/;
/** dotenv (and so dotenvx) expands only these in double quotes; `\"` keeps its backslash. */
const ESCAPES: ReadonlyMap<string, string> = new Map([
  ['n', '\n'],
  ['r', '\r'],
]);

function malformed(where: string, line: number, why: string): AirlockError {
  return new AirlockError('ERR_DOTENVX_FORMAT', `${where}:${line}: ${why}`);
}

/**
 * Parses dotenv text as dotenvx writes it: `KEY=value` lines (an optional
 * `export ` prefix), `#` comments, and values that are bare (an inline
 * ` #` comment ends them), single-quoted (literal), double-quoted (`\n` and
 * `\r` expanded, as dotenv does; may span lines) or backtick-quoted. A later
 * key replaces an earlier one. Errors are `ERR_DOTENVX_FORMAT` naming
 * `where` and the line, never a value.
 */
export function parseDotenv(text: string, where: string): Map<string, DotenvEntry> {
  const out = new Map<string, DotenvEntry>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i + 1;
    const line = lines[i] ?? '';
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = KEY.exec(trimmed);
    if (m === null) throw malformed(where, start, 'expected KEY=value');
    const key = m[1] as string;
    let rest = trimmed.slice(m[0].length).trimStart();
    const quote = rest[0];
    if (quote === '"' || quote === "'" || quote === '`') {
      // Gather lines until the closing quote (only double and backtick quotes may span lines).
      let body = rest.slice(1);
      let close = findClose(body, quote);
      while (close === -1 && quote !== "'" && i + 1 < lines.length) {
        i++;
        body += `\n${lines[i] ?? ''}`;
        close = findClose(body, quote);
      }
      if (close === -1) throw malformed(where, start, 'unterminated quoted value');
      const after = body.slice(close + 1).trim();
      if (after !== '' && !after.startsWith('#')) {
        throw malformed(where, start, 'unexpected text after the closing quote');
      }
      const raw = body.slice(0, close);
      out.set(key, { value: quote === '"' ? unescapeDouble(raw) : raw, line: start });
      continue;
    }
    const hash = rest.search(/[ \t]#/);
    if (hash !== -1) rest = rest.slice(0, hash);
    out.set(key, { value: rest.trim(), line: start });
  }
  return out;
}

function findClose(body: string, quote: string): number {
  for (let j = 0; j < body.length; j++) {
    if (quote === '"' && body[j] === '\\') {
      j++;
      continue;
    }
    if (body[j] === quote) return j;
  }
  return -1;
}

function unescapeDouble(raw: string): string {
  return raw.replace(/\\(.)/g, (whole, c: string) => ESCAPES.get(c) ?? whole);
}
