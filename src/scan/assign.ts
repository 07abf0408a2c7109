import { entropy } from './rules.ts';

/** One `key = value` (or `key: value`, `"key": "value"`) found on a line. */
export interface Assignment {
  readonly key: string;
  readonly value: string;
  /** 0-based column of the value in the line. */
  readonly column: number;
}

const WORDS: ReadonlySet<string> = new Set([
  'secret',
  'secrets',
  'token',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'credential',
  'credentials',
  'apikey',
  'authtoken',
]);
const PAIRS: ReadonlySet<string> = new Set([
  'api key',
  'access key',
  'private key',
  'client secret',
  'secret key',
  'auth token',
  'signing key',
]);

/** A last word that makes the key describe a credential rather than hold one (`SECRET_NAME`, `TOKEN_URL`). */
const DESCRIPTIVE: ReadonlySet<string> = new Set([
  'name',
  'id',
  'ids',
  'file',
  'path',
  'url',
  'uri',
  'arn',
  'ref',
  'type',
  'length',
  'policy',
  'env',
  'var',
  'header',
  'field',
  'prefix',
  'ttl',
  'expiry',
  'expires',
  'count',
  'version',
  'endpoint',
  'dir',
  'location',
  'label',
  'format',
  'hint',
  'min',
  'max',
]);

/** Splits a key into lower-case words: `githubToken`, `GITHUB_TOKEN`, `github-token` → github, token. */
function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== '');
}

/** True when a key's words name a credential (`DB_PASSWORD`, `apiKey`), not merely contain one (`tokenizer`). */
export function isSecretKey(key: string): boolean {
  const w = words(key);
  if (DESCRIPTIVE.has(w.at(-1) ?? '')) return false;
  if (w.some((x) => WORDS.has(x))) return true;
  for (let i = 0; i + 1 < w.length; i++) if (PAIRS.has(`${w[i]} ${w[i + 1]}`)) return true;
  return false;
}

const PLACEHOLDER_WORDS =
  /^(?:changeme|change_me|password|secret|token|example|sample|dummy|placeholder|redacted|none|null|nil|true|false|todo|tbd|xxx+|\*+|test|testing|your[_-].*|my[_-]?(?:secret|password|token).*|insert[_-].*|replace[_-].*)$/i;
const KNOWN_PREFIX = /^(?:gh[pousr]_|github_pat_|sk-|sk_|rk_|xox[abposr]-|AKIA|ASIA|AIza|alk_)/;
const REFERENCE =
  /^(?:encrypted:|alk_ph_|env:|file:|exec:|dotenvx:|vault:|op:\/\/|arn:aws:|secretsmanager:|projects\/[^/]+\/secrets\/)/;

/**
 * Whether an assigned value looks like a real credential rather than a
 * placeholder, a reference, an interpolation, a path or a plain word:
 * long enough, not templated, and random enough.
 */
export function looksLikeSecretValue(value: string): boolean {
  if (value.length < 8 || value.length > 4096) return false;
  if (/\$\{|\$\(|^\$[A-Za-z_]|\{\{|%\(|^<.*>$|^\[.*\]$/.test(value)) return false;
  if (PLACEHOLDER_WORDS.test(value) || REFERENCE.test(value)) return false;
  // A known token prefix is the token rules' to judge: one that fails its shape is a stand-in.
  if (KNOWN_PREFIX.test(value)) return false;
  if (/^(?:\/|\.\.?\/|~\/)[^\s]*$/.test(value)) return false; // a path
  if (/^[a-z][a-z0-9+.-]*:\/\/[^\s@]*$/i.test(value)) return false; // a URL without credentials
  if (/^\d+(?:\.\d+)*$/.test(value)) return false; // a number or version
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(value)).length;
  const bits = entropy(value);
  return bits >= 3.5 || (value.length >= 12 && classes >= 2 && bits >= 3);
}

function unquote(raw: string): { value: string; offset: number } {
  let v = raw.trim();
  const offset = raw.length - raw.trimStart().length;
  const q = v[0];
  if ((q === '"' || q === "'" || q === '`') && v.length >= 2) {
    const end = v.indexOf(q, 1);
    if (end > 0) return { value: v.slice(1, end), offset: offset + 1 };
  }
  const hash = v.search(/\s#/);
  if (hash !== -1) v = v.slice(0, hash);
  v = v.replace(/[,;]$/, '').trimEnd();
  return { value: v, offset };
}

/**
 * The assignments of one line: `KEY=value` (shell, dotenv, `export`),
 * `key: value` (YAML, CI) and `"key": "value"` (JSON).
 */
export function assignmentsOf(line: string): Assignment[] {
  const out: Assignment[] = [];
  const shell = /^\s*(?:export\s+|set\s+-x\s+|setenv\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=(.*)$/.exec(
    line,
  );
  if (shell !== null) {
    const raw = shell[2] ?? '';
    const { value, offset } = unquote(raw);
    out.push({ key: shell[1] ?? '', value, column: line.length - raw.length + offset });
    return out;
  }
  const json = /"([^"\\]{1,128})"\s*:\s*"((?:[^"\\]|\\.){0,4096})"/g;
  for (let m = json.exec(line); m !== null; m = json.exec(line)) {
    const value = m[2] ?? '';
    out.push({ key: m[1] ?? '', value, column: m.index + m[0].length - value.length - 1 });
  }
  if (out.length > 0) return out;
  const yaml = /^\s*(?:-\s+)?["']?([A-Za-z_][A-Za-z0-9_.-]*)["']?\s*:\s+(\S.*)$/.exec(line);
  if (yaml !== null) {
    const raw = yaml[2] ?? '';
    const { value, offset } = unquote(raw);
    out.push({ key: yaml[1] ?? '', value, column: line.length - raw.length + offset });
  }
  return out;
}
