import { AirlockError } from '../core/index.ts';
import type { AuthScheme } from './types.ts';

/** One request header as `[name, value]`; order and repeats are kept. The proxy adapts raw headers to this. */
export type HeaderEntry = readonly [name: string, value: string];

/** A request's headers and query after `injectCredential`. */
export interface Injected {
  readonly headers: HeaderEntry[];
  /** The query without its `?`; empty when there is none. */
  readonly query: string;
}

/** True for controls other than HTAB: CR, LF and NUL above all, which would split or cut a header line. */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}
/** What a header field value may hold (RFC 9110 §5.5, as Node and undici check it). */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

function refuse(reason: string): AirlockError {
  // Never include the value: the message reaches logs and responses.
  return new AirlockError('ERR_INVALID_ARGUMENT', `secret value ${reason}`);
}

function headerValue(value: string): string {
  if (!FIELD_VALUE.test(value)) throw refuse('holds a character not allowed in a header');
  return value;
}

/** Percent-decodes leniently (malformed triplets stay as they are), `+` as space. */
function decodeName(name: string): string {
  return name
    .replace(/\+/g, ' ')
    .replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
}

function setQueryParam(query: string, param: string, value: string): string {
  let encoded: string;
  try {
    encoded = encodeURIComponent(value);
  } catch (err) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', 'secret value is not valid Unicode', {
      cause: err,
    });
  }
  const wanted = param.toLowerCase();
  // Some servers read parameter names case-insensitively or after decoding,
  // so every spelling of the parameter the agent sent goes.
  const kept = query === '' ? [] : query.split('&');
  const out = kept.filter((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    return decodeName(name).toLowerCase() !== wanted;
  });
  out.push(`${param}=${encoded}`);
  return out.join('&');
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * Puts the real credential into a request, after removing every credential
 * the agent sent: all `Authorization` and `Proxy-Authorization` headers and,
 * for a `header` scheme, every header of that name (names compared case-
 * insensitively). Then, by scheme:
 *
 * - `bearer`: `authorization: Bearer <value>` (RFC 6750 §2.1);
 * - `basic`: `authorization: Basic base64(username:value)`, or
 *   base64(value) when the username is null and the value is `user:pass`
 *   (RFC 7617 §2, UTF-8);
 * - `header`: `<header>: <prefix><value>`;
 * - `query`: `<param>=<value>` percent-encoded, replacing every occurrence
 *   of the parameter (however cased or encoded) in `query`.
 *
 * A value holding CR, LF, NUL or another control character is refused with
 * `AirlockError('ERR_INVALID_ARGUMENT')`, as is an empty value or one a
 * header cannot carry: a secret that would add a header line must never
 * reach the wire. Pure: the inputs are not modified.
 */
export function injectCredential(
  auth: AuthScheme,
  secretValue: string,
  headers: readonly HeaderEntry[],
  query: string,
): Injected {
  if (typeof secretValue !== 'string') throw new TypeError('secretValue must be a string');
  if (secretValue === '') throw refuse('is empty');
  if (hasControl(secretValue)) throw refuse('holds a control character');
  const controlled = auth.kind === 'header' ? auth.header.toLowerCase() : 'authorization';
  const out: HeaderEntry[] = headers.filter(([name]) => {
    const lower = name.toLowerCase();
    return lower !== 'authorization' && lower !== 'proxy-authorization' && lower !== controlled;
  });
  switch (auth.kind) {
    case 'bearer':
      out.push(['authorization', `Bearer ${headerValue(secretValue)}`]);
      return { headers: out, query };
    case 'basic': {
      if (auth.username === null && !secretValue.includes(':')) {
        throw refuse('must be "user:password" when the service sets no username');
      }
      const pair = auth.username === null ? secretValue : `${auth.username}:${secretValue}`;
      out.push(['authorization', `Basic ${base64(pair)}`]);
      return { headers: out, query };
    }
    case 'header':
      out.push([auth.header, headerValue(`${auth.prefix}${secretValue}`)]);
      return { headers: out, query };
    case 'query':
      return { headers: out, query: setQueryParam(query, auth.param, secretValue) };
  }
}
