import { AirlockError } from '../core/index.ts';
import { type Cidr, cidrContains, parseCidr } from './address.ts';
import { matchHost, parseHostPattern } from './host.ts';

/** One `--allow-private` entry: an address block, or a host name (exact or `*.` wildcard). */
export type AllowPrivateEntry =
  | { readonly kind: 'cidr'; readonly cidr: Cidr }
  | { readonly kind: 'host'; readonly pattern: string };

/**
 * Parses one `--allow-private HOST|CIDR` entry: `10.0.0.0/8`, `fd00::/8`, a
 * bare address (`192.168.1.5`, `::1`), or a host name without a port
 * (`db.internal`, `*.corp.example.com`). A host entry allows whatever
 * that name resolves to; a CIDR entry allows any name resolving into it.
 *
 * Throws `AirlockError('ERR_INVALID_ARGUMENT')`.
 */
export function parseAllowPrivateEntry(text: string): AllowPrivateEntry {
  if (typeof text !== 'string') throw new TypeError('allow-private entry must be a string');
  const cidr = parseCidr(text);
  if (cidr !== null) return { kind: 'cidr', cidr };
  if (text.includes('/') || text.includes(':')) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      'allow-private: not a CIDR block (host bits must be zero) or a host name without a port',
    );
  }
  try {
    return { kind: 'host', pattern: parseHostPattern(text, 1).pattern };
  } catch (err) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', 'allow-private: not a CIDR block or host name', {
      cause: err,
    });
  }
}

/**
 * True when the operator allowed a non-public destination: some entry of
 * `allow` names `host` (the canonical CONNECT host) or contains `ip` (the
 * address the guard resolved and will dial). Entries are parsed with
 * `parseAllowPrivateEntry`, so an invalid entry throws; validate the list
 * when the configuration is loaded.
 */
export function isAllowedPrivate(allow: readonly string[], host: string, ip: string): boolean {
  for (const text of allow) {
    const entry = parseAllowPrivateEntry(text);
    if (entry.kind === 'cidr') {
      if (cidrContains(entry.cidr, ip)) return true;
    } else if (matchHost({ pattern: entry.pattern, port: 1 }, host, 1)) {
      return true;
    }
  }
  return false;
}
