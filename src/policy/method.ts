import { AirlockError } from '../core/index.ts';

/** RFC 9110 §5.6.2 `token`: the characters a method name may hold. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
const MAX_METHODS = 32;

/**
 * Parses a method list from untrusted input: `null` (or absent) means any
 * method; otherwise a non-empty array of method tokens (RFC 9110 §9.1),
 * upper-cased and de-duplicated in first-seen order. Request methods are
 * later compared exactly, so a request sent as `get` is not `GET`.
 *
 * Throws `AirlockError('ERR_INVALID_ARGUMENT')` naming `field`.
 */
export function parseMethods(list: unknown, field = 'methods'): string[] | null {
  if (list === null || list === undefined) return null;
  if (!Array.isArray(list))
    throw new AirlockError('ERR_INVALID_ARGUMENT', `${field}: must be an array or null`);
  if (list.length === 0) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      `${field}: must not be empty (use null for any method)`,
    );
  }
  if (list.length > MAX_METHODS) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', `${field}: at most ${MAX_METHODS} methods`);
  }
  const out: string[] = [];
  list.forEach((m: unknown, i) => {
    if (typeof m !== 'string' || !TOKEN.test(m)) {
      throw new AirlockError(
        'ERR_INVALID_ARGUMENT',
        `${field}[${i}]: must be an HTTP method token`,
      );
    }
    const upper = m.toUpperCase();
    if (!out.includes(upper)) out.push(upper);
  });
  return out;
}
