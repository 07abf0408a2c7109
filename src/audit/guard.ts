import { AirlockError } from '../core/index.ts';
import { canonicalJson } from './canonical.ts';

/** `scheme://user:pass@`: checked only where `://` occurs, since scanning for it is the costly shape. */
const URL_USERINFO = /[a-z][a-z0-9+.-]*:\/\/[^/\s@]+@/i;

/**
 * Shapes of credentials that must never reach the audit store: Airlock's own
 * keys, tokens and placeholders (`alk_…`), compact JWS/JWT, PEM private
 * keys, HTTP credentials, URL userinfo, and the prefixes of common provider
 * keys. Matching is on shape, not on known values, so a credential Airlock
 * has never seen is caught too.
 */
export const CREDENTIAL_SHAPES: readonly RegExp[] = [
  /alk_[a-z0-9]+_[0-9a-z]{6,}/i,
  /eyJ[A-Za-z0-9_-]{6,}\.[A-Za-z0-9_-]{6,}\./,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /\b(?:bearer|basic)\s+[A-Za-z0-9._~+/-]{8,}=*/i,
  URL_USERINFO,
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/,
  /\bgithub_pat_[A-Za-z0-9_]{20,}/,
  /\bglpat-[A-Za-z0-9_-]{16,}/,
  /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}/,
  /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}/,
  /\bxox[abprs]-[A-Za-z0-9-]{10,}/,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/,
  /\bAIza[0-9A-Za-z_-]{35}\b/,
];

/** The same shapes, global, for replacing every occurrence. */
const GLOBAL_SHAPES: readonly RegExp[] = CREDENTIAL_SHAPES.map(
  (re) => new RegExp(re.source, `${re.flags}g`),
);

/**
 * The shapes other than URL userinfo as two alternations, one per flag set:
 * a text is scanned twice instead of once per shape. Every proxied request
 * has about twenty short strings and two whole events checked.
 */
const ANY_SHAPE: readonly RegExp[] = [...new Set(CREDENTIAL_SHAPES.map((re) => re.flags))].map(
  (flags) => {
    const members = CREDENTIAL_SHAPES.filter((re) => re !== URL_USERINFO && re.flags === flags);
    return new RegExp(members.map((re) => `(?:${re.source})`).join('|'), flags);
  },
);

const MAX_STRING = 2048;
const REDACTED = '[redacted]';

/** True when `text` holds something shaped like a credential (see {@link scrubText}). */
export function looksLikeCredential(text: string): boolean {
  return ANY_SHAPE.some((re) => re.test(text)) || (text.includes('://') && URL_USERINFO.test(text));
}

/**
 * `text` with every credential-shaped substring replaced by `[redacted]`,
 * cut to 2048 characters. Event builders pass every free-form string
 * (names, hosts, paths) through this, so what the guard sees is clean.
 */
export function scrubText(text: string): string {
  let out = text.length > MAX_STRING ? text.slice(0, MAX_STRING) : text;
  if (!looksLikeCredential(out)) return out;
  for (const re of GLOBAL_SHAPES) out = out.replace(re, REDACTED);
  return out;
}

/**
 * A request path fit for the record: the query and fragment dropped (their
 * values are never recorded, only the parameter names) and credential-shaped
 * segments redacted, since a placeholder may ride in the path.
 */
export function scrubPath(path: string | null): string | null {
  if (path === null) return null;
  const cut = path.search(/[?#]/);
  return scrubText(cut < 0 ? path : path.slice(0, cut));
}

/** Query parameter names fit for the record: no values, nothing credential-shaped, at most 64. */
export function scrubQueryNames(names: readonly string[]): string[] {
  return names.slice(0, 64).map((n) => {
    const eq = n.indexOf('=');
    return scrubText(eq < 0 ? n : n.slice(0, eq)).slice(0, 128);
  });
}

/** A `"path"` member holding a query or fragment, in canonical JSON. */
const QUERY_IN_PATH = /"path":"[^"]*[?#]/;
/** A `"queryNames"` member with an `=` in a name, in canonical JSON. */
const VALUE_IN_NAMES = /"queryNames":\[[^\]]*=/;

/**
 * The last line of defence (DESIGN invariant 1, "never seen"): refuses, with
 * `ERR_AUDIT_REFUSED`, an event that holds anything credential-shaped, a
 * path with a query, or a query parameter name with a value, anywhere in
 * its keys or values. The message names the field, never the value. A
 * refused event is not written, and an `append` that is refused rejects,
 * so the proxy refuses the request it stood for (fail closed).
 *
 * The check runs once over the event's canonical JSON (`json`, computed if
 * not given): JSON escaping touches only quotes, backslashes and control
 * characters, which no credential shape contains. Only a refusal walks the
 * event, to name the field.
 */
export function assertAuditSafe(event: unknown, json: string = canonicalJson(event)): void {
  if (!looksLikeCredential(json) && !QUERY_IN_PATH.test(json) && !VALUE_IN_NAMES.test(json)) {
    return;
  }
  const where = findUnsafe(event, 'event') ?? 'event';
  throw new AirlockError(
    'ERR_AUDIT_REFUSED',
    `refusing an audit event that looks like it holds a credential or query value (${where})`,
  );
}

function findUnsafe(value: unknown, at: string): string | null {
  if (typeof value === 'string') {
    if (value.length > MAX_STRING) return `${at} is too long`;
    return looksLikeCredential(value) ? at : null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnsafe(value[i], `${at}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  for (const [key, item] of Object.entries(value)) {
    const field = `${at}.${key.slice(0, 40)}`;
    if (looksLikeCredential(key)) return `${at} (a key)`;
    if (key === 'path' && typeof item === 'string' && /[?#]/.test(item)) return field;
    if (key === 'queryNames' && Array.isArray(item)) {
      if (item.some((n: unknown) => typeof n === 'string' && n.includes('='))) return field;
    }
    const found = findUnsafe(item, field);
    if (found !== null) return found;
  }
  return null;
}
