/**
 * A minimal DER encoder (ITU-T X.690 §8 and §10), just wide enough to build
 * the certificates of RFC 5280. Every function returns one complete TLV, so
 * encodings compose by nesting calls. Only single-byte tags (numbers 0–30)
 * are produced, which covers every universal and context tag X.509 uses.
 */

const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_NULL = 0x05;
const TAG_OID = 0x06;
const TAG_UTF8_STRING = 0x0c;
const TAG_PRINTABLE_STRING = 0x13;
const TAG_IA5_STRING = 0x16;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;
const TAG_SEQUENCE = 0x30;
const TAG_SET = 0x31;
const CLASS_CONTEXT = 0x80;
const CONSTRUCTED = 0x20;

/** Encodes a definite length: short form below 128, long form above (X.690 §8.1.3). */
function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.of(length);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** One TLV with the given identifier octet and contents. */
export function tlv(tag: number, content: Uint8Array): Buffer {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xff || (tag & 0x1f) === 0x1f) {
    throw new TypeError('DER tag must be a single identifier octet');
  }
  return Buffer.concat([Buffer.of(tag), encodeLength(content.length), content]);
}

/** SEQUENCE of the given encodings, in order (X.690 §8.9). */
export function sequence(...items: readonly Uint8Array[]): Buffer {
  return tlv(TAG_SEQUENCE, Buffer.concat(items));
}

/** SET OF the given encodings, sorted as DER requires (X.690 §11.6). */
export function setOf(...items: readonly Uint8Array[]): Buffer {
  const sorted = [...items].sort((a, b) => Buffer.compare(a, b));
  return tlv(TAG_SET, Buffer.concat(sorted));
}

/** BOOLEAN; DER writes TRUE as 0xff (X.690 §11.1). */
export function boolean(value: boolean): Buffer {
  return tlv(TAG_BOOLEAN, Buffer.of(value ? 0xff : 0x00));
}

/**
 * INTEGER from a non-negative safe integer or from unsigned big-endian bytes,
 * in the minimal two's-complement form DER requires (X.690 §8.3.2).
 */
export function integer(value: number | Uint8Array): Buffer {
  let bytes: Buffer;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new TypeError('DER INTEGER must be a non-negative safe integer');
    }
    const hex = value.toString(16);
    bytes = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
  } else {
    bytes = Buffer.from(value);
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length === 0) bytes = Buffer.of(0);
  // A set high bit would read as negative; a leading zero octet keeps it positive.
  if ((bytes[0] ?? 0) & 0x80) bytes = Buffer.concat([Buffer.of(0), bytes]);
  return tlv(TAG_INTEGER, bytes);
}

/** BIT STRING whose first content octet counts the unused trailing bits (X.690 §8.6). */
export function bitString(bytes: Uint8Array, unusedBits = 0): Buffer {
  if (!Number.isInteger(unusedBits) || unusedBits < 0 || unusedBits > 7) {
    throw new TypeError('BIT STRING unused bits must be 0–7');
  }
  if (unusedBits > 0 && bytes.length === 0) {
    throw new TypeError('an empty BIT STRING has no unused bits');
  }
  return tlv(TAG_BIT_STRING, Buffer.concat([Buffer.of(unusedBits), bytes]));
}

/**
 * BIT STRING for a NamedBitList such as KeyUsage: bit 0 is the most
 * significant bit of the first octet, and DER drops trailing zero bits
 * (X.690 §11.2.2).
 */
export function namedBits(bits: readonly number[]): Buffer {
  const highest = Math.max(-1, ...bits);
  if (highest < 0) return bitString(Buffer.alloc(0));
  const bytes = Buffer.alloc((highest >> 3) + 1);
  for (const bit of bits) {
    if (!Number.isInteger(bit) || bit < 0) throw new TypeError('named bit must be >= 0');
    bytes[bit >> 3] = (bytes[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  }
  return bitString(bytes, 7 - (highest & 7));
}

/** OCTET STRING (X.690 §8.7). */
export function octetString(bytes: Uint8Array): Buffer {
  return tlv(TAG_OCTET_STRING, bytes);
}

/** NULL (X.690 §8.8). */
export function nullValue(): Buffer {
  return tlv(TAG_NULL, Buffer.alloc(0));
}

/** OBJECT IDENTIFIER from dotted form, arcs in base 128 (X.690 §8.19). */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => (/^(0|[1-9]\d*)$/.test(arc) ? Number(arc) : NaN));
  const [first, second, ...rest] = arcs;
  if (
    first === undefined ||
    second === undefined ||
    arcs.some((arc) => !Number.isSafeInteger(arc)) ||
    first > 2 ||
    (first < 2 && second > 39)
  ) {
    throw new TypeError(`not an object identifier: ${dotted}`);
  }
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const chunk: number[] = [];
    for (let n = arc; ; n = Math.floor(n / 128)) {
      chunk.unshift((n % 128) | (chunk.length > 0 ? 0x80 : 0));
      if (n < 128) break;
    }
    out.push(...chunk);
  }
  return tlv(TAG_OID, Buffer.from(out));
}

/** UTF8String (X.690 §8.23; RFC 5280 §4.1.2.4 prefers it for names). */
export function utf8String(text: string): Buffer {
  return tlv(TAG_UTF8_STRING, Buffer.from(text, 'utf8'));
}

/** PrintableString; refuses characters outside its repertoire (X.680 §41.4). */
export function printableString(text: string): Buffer {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)) {
    throw new TypeError('text is outside the PrintableString repertoire');
  }
  return tlv(TAG_PRINTABLE_STRING, Buffer.from(text, 'ascii'));
}

/** IA5String (ASCII), as dNSName uses (RFC 5280 §4.2.1.6). */
export function ia5String(text: string): Buffer {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: IA5 is exactly 0x00–0x7f
  if (!/^[\x00-\x7f]*$/.test(text)) throw new TypeError('text is not IA5 (ASCII)');
  return tlv(TAG_IA5_STRING, Buffer.from(text, 'ascii'));
}

/**
 * A certificate validity time: UTCTime through 2049 and GeneralizedTime from
 * 2050, both in UTC with whole seconds, as RFC 5280 §4.1.2.5 requires.
 * Milliseconds are dropped.
 */
export function time(ms: number): Buffer {
  if (!Number.isFinite(ms)) throw new TypeError('time must be a finite number of ms');
  const iso = new Date(Math.floor(ms / 1000) * 1000).toISOString();
  const year = Number(iso.slice(0, 4));
  if (!/^\d{4}-/.test(iso) || year < 1950) throw new TypeError('time is out of X.509 range');
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return year < 2050
    ? tlv(TAG_UTC_TIME, Buffer.from(digits.slice(2), 'ascii'))
    : tlv(TAG_GENERALIZED_TIME, Buffer.from(digits, 'ascii'));
}

/** `[n] EXPLICIT`: a constructed context tag wrapping a whole encoding (X.690 §8.14). */
export function explicit(n: number, inner: Uint8Array): Buffer {
  return tlv(CLASS_CONTEXT | CONSTRUCTED | contextNumber(n), inner);
}

/**
 * `[n] IMPLICIT`: the context tag replaces the identifier of `inner`, keeping
 * its contents and its primitive or constructed form (X.690 §8.14.3).
 */
export function implicit(n: number, inner: Uint8Array): Buffer {
  const tag = inner[0];
  if (tag === undefined) throw new TypeError('implicit tagging needs an encoding');
  const header = headerLength(inner);
  return tlv(CLASS_CONTEXT | (tag & CONSTRUCTED) | contextNumber(n), inner.subarray(header));
}

function contextNumber(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) throw new TypeError('context tag must be 0–30');
  return n;
}

function headerLength(encoding: Uint8Array): number {
  const first = encoding[1] ?? 0;
  return first < 0x80 ? 2 : 2 + (first & 0x7f);
}
