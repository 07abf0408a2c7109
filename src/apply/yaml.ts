import { AirlockError } from '../core/index.ts';

/**
 * A parsed document and where each value came from: `lines` maps a value's
 * path (`services.github.hosts[0]`) to its 1-based line, so schema errors
 * can point at the line too.
 */
export interface YamlDocument {
  readonly value: unknown;
  readonly lines: ReadonlyMap<string, number>;
}

interface Line {
  readonly no: number;
  readonly indent: number;
  readonly text: string;
}

const MAX_DEPTH = 32;
const KEY =
  /^(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([A-Za-z0-9_][A-Za-z0-9_.\-/]*))\s*:(?:\s+|$)/;

function fail(line: number, why: string): AirlockError {
  return new AirlockError('ERR_APPLY_INVALID', `line ${line}: ${why}`);
}

/** Drops a ` #` comment outside quotes. */
function stripComment(text: string): string {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || text[i - 1] === ' ')) {
      return text.slice(0, i).trimEnd();
    }
  }
  return text.trimEnd();
}

/**
 * Parses the strict YAML subset that `airlock.yaml` uses, with every error
 * naming its line (`ERR_APPLY_INVALID`):
 *
 * - block mappings and block sequences by indentation (spaces only);
 * - plain, single- and double-quoted (JSON escapes) scalars; integers,
 *   `true`, `false`, `null`;
 * - one-line flow sequences `[a, "b"]` and flow mappings `{ kind: bearer }`;
 * - `#` comments and an optional `---` first line.
 *
 * Anchors, aliases, tags, multi-line strings and multiple documents are
 * refused rather than half-understood; duplicate keys are refused.
 */
export function parseYaml(source: string): YamlDocument {
  const lines: Line[] = [];
  source.split(/\r?\n/).forEach((raw, i) => {
    const no = i + 1;
    const lead = /^[ \t]*/.exec(raw)?.[0] ?? '';
    if (lead.includes('\t') && raw.trim() !== '') throw fail(no, 'indent with spaces, not tabs');
    const text = stripComment(raw.slice(lead.length));
    if (text === '' || (text === '---' && lines.length === 0)) return;
    if (text === '---' || text === '...') throw fail(no, 'only one document is supported');
    lines.push({ no, indent: lead.length, text });
  });
  const where = new Map<string, number>();
  if (lines.length === 0) return { value: null, lines: where };
  const parser = new Parser(lines, where);
  const first = lines[0] as Line;
  const value = parser.block(first.indent, '', 0);
  const extra = parser.peek();
  if (extra !== undefined) throw fail(extra.no, 'unexpected indentation');
  return { value, lines: where };
}

class Parser {
  #pos = 0;
  readonly #lines: Line[];
  readonly #where: Map<string, number>;

  constructor(lines: Line[], where: Map<string, number>) {
    this.#lines = lines;
    this.#where = where;
  }

  peek(): Line | undefined {
    return this.#lines[this.#pos];
  }

  block(indent: number, path: string, depth: number): unknown {
    const line = this.peek();
    if (line === undefined) return null;
    if (depth > MAX_DEPTH) throw fail(line.no, 'nested too deeply');
    if (line.text === '-' || line.text.startsWith('- ')) return this.#sequence(indent, path, depth);
    return this.#mapping(indent, path, depth);
  }

  #mapping(indent: number, path: string, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = Object.create(null);
    for (let line = this.peek(); line !== undefined && line.indent === indent; line = this.peek()) {
      if (line.text.startsWith('- ') || line.text === '-') break;
      const m = KEY.exec(line.text);
      if (m === null) throw fail(line.no, 'expected "key: value"');
      const key =
        m[1] !== undefined
          ? (JSON.parse(`"${m[1]}"`) as string)
          : (m[2]?.replaceAll("''", "'") ?? m[3] ?? '');
      if (Object.hasOwn(out, key)) throw fail(line.no, `duplicate key "${key.slice(0, 64)}"`);
      const child = path === '' ? key : `${path}.${key}`;
      this.#where.set(child, line.no);
      const rest = line.text.slice(m[0].length);
      this.#pos++;
      if (rest !== '') {
        out[key] = scalarOrFlow(rest, line.no);
        continue;
      }
      const next = this.peek();
      if (next !== undefined && next.indent > indent)
        out[key] = this.block(next.indent, child, depth + 1);
      else if (
        next !== undefined &&
        next.indent === indent &&
        (next.text.startsWith('- ') || next.text === '-')
      )
        out[key] = this.#sequence(indent, child, depth + 1);
      else out[key] = null;
    }
    const after = this.peek();
    if (after !== undefined && after.indent > indent)
      throw fail(after.no, 'unexpected indentation');
    return out;
  }

  #sequence(indent: number, path: string, depth: number): unknown[] {
    const out: unknown[] = [];
    for (let line = this.peek(); line !== undefined && line.indent === indent; line = this.peek()) {
      if (!(line.text.startsWith('- ') || line.text === '-')) break;
      const child = `${path}[${out.length}]`;
      this.#where.set(child, line.no);
      const rest = line.text.slice(1).trimStart();
      if (rest === '') {
        this.#pos++;
        const next = this.peek();
        out.push(
          next !== undefined && next.indent > indent
            ? this.block(next.indent, child, depth + 1)
            : null,
        );
      } else if (KEY.test(rest) && !rest.startsWith('{') && !rest.startsWith('[')) {
        // `- key: value` opens a mapping whose keys sit at the column after "- ".
        const column = indent + (line.text.length - rest.length);
        this.#lines[this.#pos] = { no: line.no, indent: column, text: rest };
        out.push(this.#mapping(column, child, depth + 1));
      } else {
        this.#pos++;
        out.push(scalarOrFlow(rest, line.no));
      }
    }
    return out;
  }
}

function scalarOrFlow(text: string, no: number): unknown {
  if (text.startsWith('[') || text.startsWith('{')) {
    const reader = { text, at: 0, no };
    const value = flow(reader);
    skipSpace(reader);
    if (reader.at !== text.length) throw fail(no, 'unexpected text after a flow value');
    return value;
  }
  return scalar(text, no);
}

function scalar(text: string, no: number): unknown {
  if (/^[&*!|>%@`]/.test(text))
    throw fail(no, `"${text[0]}" (anchors, tags, block strings) is not supported`);
  if (text.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\.)*"$/.test(text))
      throw fail(no, 'unterminated or trailing text after a "string"');
    try {
      return JSON.parse(text) as string;
    } catch {
      throw fail(no, 'bad escape in a "string"');
    }
  }
  if (text.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(text))
      throw fail(no, "unterminated or trailing text after a 'string'");
    return text.slice(1, -1).replaceAll("''", "'");
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  if (text === 'null' || text === '~') return null;
  if (/^-?(0|[1-9][0-9]{0,14})$/.test(text)) return Number(text);
  if (/:\s|\s#/.test(text)) throw fail(no, 'quote a value that holds ": " or " #"');
  return text;
}

interface Reader {
  readonly text: string;
  at: number;
  readonly no: number;
}

function skipSpace(r: Reader): void {
  while (r.text[r.at] === ' ') r.at++;
}

function flow(r: Reader): unknown {
  skipSpace(r);
  const open = r.text[r.at];
  if (open === '[' || open === '{') {
    const close = open === '[' ? ']' : '}';
    r.at++;
    const list: unknown[] = [];
    const map: Record<string, unknown> = Object.create(null);
    skipSpace(r);
    if (r.text[r.at] === close) {
      r.at++;
      return open === '[' ? list : map;
    }
    for (;;) {
      if (open === '[') list.push(flow(r));
      else {
        const key = flowAtom(r, ':');
        if (typeof key !== 'string' || r.text[r.at] !== ':')
          throw fail(r.no, 'expected "key: value" in { }');
        r.at++;
        if (Object.hasOwn(map, key)) throw fail(r.no, `duplicate key "${key.slice(0, 64)}"`);
        map[key] = flow(r);
      }
      skipSpace(r);
      const c = r.text[r.at];
      r.at++;
      if (c === close) return open === '[' ? list : map;
      if (c !== ',') throw fail(r.no, `expected "," or "${close}"`);
    }
  }
  return flowAtom(r, '');
}

function flowAtom(r: Reader, stopAlso: string): unknown {
  skipSpace(r);
  const start = r.at;
  const q = r.text[r.at];
  if (q === '"' || q === "'") {
    r.at++;
    while (r.at < r.text.length && r.text[r.at] !== q)
      r.at += r.text[r.at] === '\\' && q === '"' ? 2 : 1;
    r.at++;
    if (r.at > r.text.length) throw fail(r.no, 'unterminated string');
  } else {
    while (r.at < r.text.length && !`,]}${stopAlso}`.includes(r.text[r.at] as string)) r.at++;
  }
  const atom = r.text.slice(start, r.at).trim();
  if (atom === '') throw fail(r.no, 'empty value in a flow collection');
  return scalar(atom, r.no);
}
