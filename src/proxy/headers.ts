import { AirlockError } from '../core/index.ts';
import type { HeaderEntry } from '../policy/index.ts';

/**
 * Hop-by-hop headers (RFC 9110 §7.6.1) plus the legacy `Proxy-Connection`:
 * they describe one connection and never cross the proxy.
 */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** True when `value` holds CR, LF, NUL or another control character (HTAB is allowed). */
function hasControlChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}

/** Lower-case names listed in `Connection` headers, other than `close`/`keep-alive`/`upgrade`. */
function connectionTokens(raw: readonly string[]): Set<string> | null {
  let tokens: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] ?? '').toLowerCase() !== 'connection') continue;
    for (const t of (raw[i + 1] ?? '').split(',')) {
      const name = t.trim().toLowerCase();
      if (name === '' || name === 'close' || name === 'keep-alive' || name === 'upgrade') continue;
      tokens ??= new Set();
      tokens.add(name);
    }
  }
  return tokens;
}

/** What to do with the request headers on their way upstream. */
export interface RequestHeaderRewrite {
  /** Keep `Connection: Upgrade` / `Upgrade: websocket` for a WebSocket handshake. */
  readonly websocket: boolean;
  /** Replace `Host` with this value (absolute-form requests, RFC 9112 §3.2.2); null keeps the agent's. */
  readonly host: string | null;
}

/**
 * Builds the upstream request headers from the agent's `rawHeaders`: drops
 * hop-by-hop headers (RFC 9110 §7.6.1), those `Connection` lists and
 * `Proxy-Authorization`, and refuses control characters in names and
 * values with `ERR_BAD_REQUEST`. `injectCredential` then removes every other
 * credential the agent attached and adds the real one.
 */
export function rewriteRequestHeaders(
  raw: readonly string[],
  rewrite: RequestHeaderRewrite,
): HeaderEntry[] {
  const listed = connectionTokens(raw);
  const out: HeaderEntry[] = [];
  if (rewrite.host !== null) out.push(['host', rewrite.host]);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const value = raw[i + 1] ?? '';
    if (hasControlChar(name) || hasControlChar(value)) {
      throw new AirlockError('ERR_BAD_REQUEST', 'control character in a request header');
    }
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (lower === 'host' && rewrite.host !== null) continue;
    if (listed?.has(lower)) continue;
    out.push([name, value]);
  }
  if (rewrite.websocket) out.push(['connection', 'Upgrade'], ['upgrade', 'websocket']);
  return out;
}

/**
 * Builds the response headers relayed to the agent: drops hop-by-hop headers
 * and those the upstream's `Connection` lists. Node's server framing
 * (chunked, keep-alive) replaces them.
 */
export function rewriteResponseHeaders(raw: readonly string[], websocket: boolean): string[] {
  const listed = connectionTokens(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || listed?.has(lower)) continue;
    out.push(name, raw[i + 1] ?? '');
  }
  if (websocket) out.push('Connection', 'Upgrade', 'Upgrade', 'websocket');
  return out;
}

/** The `Content-Length` value, null when absent, throws `ERR_BAD_REQUEST` when malformed. */
export function contentLength(value: string | undefined): number | null {
  if (value === undefined) return null;
  if (!/^[0-9]{1,15}$/.test(value))
    throw new AirlockError('ERR_BAD_REQUEST', 'malformed Content-Length');
  return Number(value);
}
