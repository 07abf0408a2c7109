import { AirlockError } from '../core/index.ts';

/** Variables `airlock run` takes from the parent as they are: nothing that could hold a credential. */
const PASSTHROUGH: ReadonlySet<string> = new Set([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'TERM',
  'LANG',
  'TZ',
  'TMPDIR',
]);

/** Every variable that names the CA bundle, for the TLS stacks agents use. */
export const CA_VARIABLES: readonly string[] = [
  'SSL_CERT_FILE',
  'NODE_EXTRA_CA_CERTS',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
  'GIT_SSL_CAINFO',
  'AWS_CA_BUNDLE',
  'DENO_CERT',
];

/** The proxy variables, both spellings (curl reads only the lower-case `http_proxy`). */
export const PROXY_VARIABLES: readonly string[] = [
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'https_proxy',
  'http_proxy',
];

/**
 * Set for the agent: the proxy without credentials. It marks a process as
 * running under `airlock run`, so a nested `airlock run` exchanges the
 * token instead of starting a task.
 */
export const RUN_MARKER = 'AIRLOCK_PROXY';

/** Loopback only: `airlock.internal` and every other host go through the proxy. */
const NO_PROXY = 'localhost,127.0.0.1,::1';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Name segments that mark a variable as a credential (`OPENAI_API_KEY`, `DB_PASSWORD`). */
const CREDENTIAL_WORDS: ReadonlySet<string> = new Set([
  'KEY',
  'APIKEY',
  'TOKEN',
  'SECRET',
  'SECRETS',
  'PASSWORD',
  'PASSWD',
  'PASS',
  'CREDENTIAL',
  'CREDENTIALS',
  'AUTH',
  'SESSION',
  'COOKIE',
  'PRIVATE',
  'DSN',
  'PAT',
]);

/** True when a variable's name says it holds a credential (`GITHUB_TOKEN`, `AWS_SECRET_ACCESS_KEY`). */
export function looksLikeCredential(name: string): boolean {
  return name
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .some((w) => CREDENTIAL_WORDS.has(w));
}

/** The variables Airlock itself sets; `--pass` may not override them. */
function reserved(name: string): boolean {
  return (
    name === RUN_MARKER ||
    name === 'NO_PROXY' ||
    name === 'no_proxy' ||
    name === 'NODE_USE_ENV_PROXY' ||
    CA_VARIABLES.includes(name) ||
    PROXY_VARIABLES.includes(name)
  );
}

/**
 * Refuses `--pass` names that are not variable names, that Airlock sets
 * itself, or that look like a credential (`ERR_INVALID_ARGUMENT`). Called
 * before a task starts, and again by {@link buildAgentEnv}.
 */
export function checkPass(names: readonly string[]): void {
  for (const name of names) {
    if (!NAME.test(name)) {
      throw new AirlockError('ERR_INVALID_ARGUMENT', '--pass takes an environment variable name');
    }
    if (reserved(name)) {
      throw new AirlockError('ERR_INVALID_ARGUMENT', `--pass ${name}: Airlock sets it`);
    }
    if (looksLikeCredential(name)) {
      throw new AirlockError(
        'ERR_INVALID_ARGUMENT',
        `--pass ${name}: it looks like a credential; store it in Airlock and grant it instead`,
      );
    }
  }
}

/** `http://agent:TOKEN@host:port`: the token as the Basic password every proxy client sends. */
export function proxyUrl(host: string, port: number, token: string): string {
  const h = host.includes(':') ? `[${host}]` : host;
  return `http://agent:${encodeURIComponent(token)}@${h}:${port}`;
}

/** One placeholder for the environment: the variable a service names, and the placeholder. */
export interface PlaceholderVariable {
  readonly env: string;
  readonly placeholder: string;
}

/** What the agent's environment is built from. */
export interface AgentEnvInput {
  /** The parent's environment; only the allowlist and `pass` are read from it. */
  readonly parent: Readonly<Record<string, string | undefined>>;
  /** Extra names to take from the parent (`--pass`). */
  readonly pass: readonly string[];
  readonly placeholders: readonly PlaceholderVariable[];
  readonly proxy: { readonly host: string; readonly port: number };
  readonly token: string;
  /** Path of the CA bundle (system roots plus the Airlock CA). */
  readonly caFile: string;
  /** False for `airlock env`: a container brings its own PATH, HOME and locale. */
  readonly inherit: boolean;
}

/**
 * The environment an agent starts with, built from scratch (issue 5): the
 * allowlisted variables (`PATH HOME USER LOGNAME SHELL TERM LANG LC_* TZ
 * TMPDIR`) and the `--pass` names from the parent, nothing else; the
 * placeholders in the variables the services name; the proxy, with the
 * token, in `HTTPS_PROXY`/`HTTP_PROXY` (both cases), `NO_PROXY` for
 * loopback only, `NODE_USE_ENV_PROXY=1`; and the CA bundle in every
 * variable a TLS stack reads.
 *
 * A `--pass` name that looks like a credential, or that Airlock sets itself,
 * is refused with `ERR_INVALID_ARGUMENT`: a real key must not reach the
 * agent by being passed through.
 */
export function buildAgentEnv(input: AgentEnvInput): Record<string, string> {
  checkPass(input.pass);
  const env: Record<string, string> = Object.create(null);
  if (input.inherit) {
    for (const [name, value] of Object.entries(input.parent)) {
      if (value === undefined) continue;
      if (PASSTHROUGH.has(name) || name.startsWith('LC_')) env[name] = value;
    }
  }
  for (const name of input.pass) {
    const value = input.parent[name];
    if (value !== undefined) env[name] = value;
  }
  for (const p of input.placeholders) {
    if (!NAME.test(p.env) || reserved(p.env)) {
      throw new AirlockError('ERR_INVALID_ARGUMENT', `a service names a bad variable: ${p.env}`);
    }
    env[p.env] = p.placeholder;
  }
  const url = proxyUrl(input.proxy.host, input.proxy.port, input.token);
  for (const name of PROXY_VARIABLES) env[name] = url;
  env.NO_PROXY = NO_PROXY;
  env.no_proxy = NO_PROXY;
  env.NODE_USE_ENV_PROXY = '1';
  for (const name of CA_VARIABLES) env[name] = input.caFile;
  const h = input.proxy.host.includes(':') ? `[${input.proxy.host}]` : input.proxy.host;
  env[RUN_MARKER] = `http://${h}:${input.proxy.port}`;
  return { ...env };
}

/** The token a run's proxy variable carries (its Basic password), or null outside a run. */
export function tokenFromEnv(env: Readonly<Record<string, string | undefined>>): string | null {
  const url = env.HTTPS_PROXY ?? env.https_proxy;
  if (url === undefined || env[RUN_MARKER] === undefined) return null;
  try {
    const password = new URL(url).password;
    return password === '' ? null : decodeURIComponent(password);
  } catch {
    return null;
  }
}
