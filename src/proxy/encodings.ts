import { AirlockError } from '../core/index.ts';

/**
 * How a request body encodes text, for escaping a substituted value so it
 * stays one value of that encoding: a JSON string's content (RFC 8259 §7),
 * a form field (the `application/x-www-form-urlencoded` serializer of the
 * URL Standard), or raw bytes for anything else.
 */
export type BodyEncoding = 'json' | 'form' | 'raw';

const JSON_TYPES: ReadonlySet<string> = new Set([
  'application/json',
  'text/json',
  'application/x-ndjson',
  'application/ndjson',
  'application/jsonl',
  'application/json-seq',
]);

/** The encoding a `Content-Type` names: JSON (also `+json` and JSON lines), form, or raw. */
export function bodyEncoding(contentType: string | undefined): BodyEncoding {
  if (contentType === undefined) return 'raw';
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (JSON_TYPES.has(media) || media.endsWith('+json')) return 'json';
  if (media === 'application/x-www-form-urlencoded') return 'form';
  return 'raw';
}

/** `value` as the content of a JSON string: quotes, backslashes and controls escaped. */
export function jsonEscape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** `value` as one `application/x-www-form-urlencoded` field value (space as `+`). */
export function formEscape(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

/**
 * `value` percent-encoded for a path segment or a query value (RFC 3986
 * §2.1), every reserved character escaped. A lone surrogate cannot be
 * UTF-8 encoded: `ERR_INVALID_ARGUMENT`, without the value.
 */
export function percentEscape(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch (err) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', 'secret value is not valid Unicode', {
      cause: err,
    });
  }
}

/** A substituted value escaped for the body's encoding, as bytes. */
export function escapeForBody(value: string, encoding: BodyEncoding): Buffer {
  switch (encoding) {
    case 'json':
      return Buffer.from(jsonEscape(value), 'utf8');
    case 'form':
      return Buffer.from(formEscape(value), 'utf8');
    case 'raw':
      return Buffer.from(value, 'utf8');
  }
}

/** What a header field value may hold once substituted (RFC 9110 §5.5): no CR, LF, NUL or other control. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * A substituted value for a header: as it is, when a header can carry it.
 * Throws `ERR_INVALID_ARGUMENT` (never echoing the value) for one that would
 * split or cut the header line.
 */
export function headerSafe(value: string): string {
  if (!FIELD_VALUE.test(value)) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      'secret value holds a character not allowed in a header',
    );
  }
  return value;
}

/** Shortest encoded form worth scrubbing: shorter ones would match ordinary text. */
const MIN_VARIANT_LENGTH = 8;

function base64Url(b64: string): string {
  return b64.replace(/\+/g, '-').replace(/\//g, '_');
}

/**
 * The base64 text that every encoding of a byte string holding `bytes` at
 * an offset ≡ `shift` (mod 3) contains, whatever surrounds it: the
 * characters whose six bits all come from `bytes` (RFC 4648 §4). Three
 * shifts cover every alignment, so a secret inside `Basic base64(user:secret)`
 * is found as surely as the secret alone.
 */
function base64Core(bytes: Buffer, shift: number): string {
  const b64 = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
  const first = Math.ceil((8 * shift) / 6);
  const last = Math.floor((8 * (shift + bytes.length)) / 6);
  return b64.slice(first, last);
}

/**
 * Every form in which a secret value may come back in a response, for the
 * scrubber: raw, JSON-escaped (once, and twice for a body echoed inside a
 * JSON string), percent-encoded (upper- and lower-case hex,
 * and the form encoding), and base64 and base64url at each of the three
 * alignments. Forms shorter than 8 characters (other than the raw value)
 * are left out: they would match ordinary text. Distinct, longest first.
 */
export function secretVariants(value: string): string[] {
  const out = new Set<string>([value]);
  const add = (v: string): void => {
    if (v.length >= MIN_VARIANT_LENGTH) out.add(v);
  };
  add(jsonEscape(value));
  // An echo that returns the request body as a JSON string escapes it twice.
  add(jsonEscape(jsonEscape(value)));
  let percent: string | null = null;
  try {
    percent = encodeURIComponent(value);
  } catch {
    // A lone surrogate: no client could have percent-encoded it either.
  }
  if (percent !== null) {
    add(percent);
    add(percent.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
    add(formEscape(value));
  }
  const bytes = Buffer.from(value, 'utf8');
  for (let shift = 0; shift < 3; shift++) {
    const core = base64Core(bytes, shift);
    add(core);
    add(base64Url(core));
  }
  return [...out].sort((a, b) => b.length - a.length);
}
