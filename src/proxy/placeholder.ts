/**
 * The shape of a sealed placeholder (DESIGN.md, "Principals and tokens"):
 * `alk_ph_` followed by a run of lower-case Crockford base32 characters,
 * at least {@link PLACEHOLDER_MIN_RANDOM} and at most
 * {@link PLACEHOLDER_MAX_RANDOM} of them. Every character of a placeholder is
 * unreserved in URLs (RFC 3986 §2.3), plain in JSON strings and in form
 * bodies, so it reads the same raw, percent-encoded, JSON-escaped or
 * form-encoded: one byte-level matcher finds it in all of them.
 *
 * A run is taken whole (maximal munch): `alk_ph_` followed by more than the
 * maximum, or fewer than the minimum, alphabet characters is not a
 * placeholder and passes as text. A run in range is always a candidate: the
 * proxy either substitutes it or refuses the request, never forwards it blind.
 */
export const PLACEHOLDER_PREFIX = 'alk_ph_';

/** Fewest random characters after the prefix (32 × 5 = 160 bits). */
export const PLACEHOLDER_MIN_RANDOM = 32;

/** Most random characters after the prefix; a longer run is not a placeholder. */
export const PLACEHOLDER_MAX_RANDOM = 64;

/** Longest placeholder in bytes: the look-behind a streaming matcher must hold. */
export const PLACEHOLDER_MAX_LENGTH = PLACEHOLDER_PREFIX.length + PLACEHOLDER_MAX_RANDOM;

/** Crockford base32, lower case: the alphabet of `base32()` in core/ids.ts. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Byte → true for the placeholder alphabet; a prototype-free lookup. */
const IS_ALPHABET: Uint8Array = (() => {
  const table = new Uint8Array(256);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = 1;
  return table;
})();

/** True when the byte (or UTF-16 code unit below 256) is in the placeholder alphabet. */
export function isPlaceholderChar(code: number): boolean {
  return code < 256 && IS_ALPHABET[code] === 1;
}

const WHOLE = new RegExp(
  `^${PLACEHOLDER_PREFIX}[${ALPHABET}]{${PLACEHOLDER_MIN_RANDOM},${PLACEHOLDER_MAX_RANDOM}}$`,
);

/** True when `text` is exactly one well-formed placeholder. */
export function isPlaceholder(text: string): boolean {
  return typeof text === 'string' && WHOLE.test(text);
}

/**
 * Every placeholder in `text`, by maximal munch, in order of appearance
 * (repeats kept). Header values, paths and queries arrive whole.
 */
export function findPlaceholders(text: string): string[] {
  const found: string[] = [];
  replacePlaceholders(text, (placeholder) => {
    found.push(placeholder);
    return placeholder;
  });
  return found;
}

/** End of the alphabet run starting at `start`, looking at most one past the maximum. */
function runEnd(text: string, start: number): number {
  let end = start;
  while (end < text.length && end - start <= PLACEHOLDER_MAX_RANDOM) {
    if (!isPlaceholderChar(text.charCodeAt(end))) break;
    end++;
  }
  return end;
}

/**
 * `text` with every placeholder replaced by `replace(placeholder)`, by
 * maximal munch, left to right. `replace` may throw to refuse; nothing is
 * returned then.
 */
export function replacePlaceholders(
  text: string,
  replace: (placeholder: string) => string,
): string {
  let out = '';
  let copied = 0;
  let from = 0;
  for (;;) {
    const at = text.indexOf(PLACEHOLDER_PREFIX, from);
    if (at < 0) break;
    const start = at + PLACEHOLDER_PREFIX.length;
    const end = runEnd(text, start);
    const run = end - start;
    if (run >= PLACEHOLDER_MIN_RANDOM && run <= PLACEHOLDER_MAX_RANDOM) {
      out += text.slice(copied, at) + replace(text.slice(at, end));
      copied = end;
      from = end;
    } else {
      // The prefix cannot overlap itself or an alphabet run, so the next one starts later.
      from = start;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}
