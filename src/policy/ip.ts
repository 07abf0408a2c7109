/**
 * IP literal parsing and formatting shared by host patterns, CONNECT targets
 * and the SSRF classification. Internal to `policy/`: the barrel exports the
 * functions built on these, not these.
 */

/** A parsed IP address: IPv4 as an unsigned 32-bit number, IPv6 as eight 16-bit words. */
export type ParsedIp =
  | { readonly version: 4; readonly value: number }
  | { readonly version: 6; readonly words: readonly number[] };

const DEC_OCTET = /^(?:0|[1-9][0-9]{0,2})$/;

/** Strict dotted-quad IPv4 (`127.0.0.1`): four decimal octets, no leading zeros. */
export function parseIpv4Strict(text: string): number | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!DEC_OCTET.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

const HEX_PART = /^0[xX][0-9a-fA-F]+$/;
const OCT_PART = /^0[0-7]+$/;
const DEC_PART = /^(?:0|[1-9][0-9]*)$/;

/** One inet_aton component: `0x`-hex, `0`-octal or decimal. */
function parseLoosePart(part: string): number | null {
  // Longer parts cannot hold a value that fits; refusing them also keeps Number() exact.
  if (part.length > 16) return null;
  if (HEX_PART.test(part)) return Number.parseInt(part.slice(2), 16);
  if (OCT_PART.test(part)) return Number.parseInt(part.slice(1), 8);
  if (DEC_PART.test(part)) return Number(part);
  return null;
}

/**
 * IPv4 in any form that inet_aton(3) and the WHATWG URL host parser accept:
 * one to four parts, each decimal, `0`-prefixed octal or `0x`-prefixed hex,
 * the last part filling the remaining bytes (`127.1`, `0x7f.1`, `2130706433`,
 * `0177.0.0.1`). Such names never reach a resolver as names: libc would read
 * them as addresses, so the SSRF guard must see the address they denote.
 */
export function parseIpv4Loose(text: string): number | null {
  const parts = text.split('.');
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    const v = parseLoosePart(part);
    if (v === null) return null;
    values.push(v);
  }
  const last = values.pop();
  if (last === undefined) return null;
  let value = 0;
  for (const v of values) {
    if (v > 255) return null;
    value = value * 256 + v;
  }
  const room = 256 ** (4 - values.length);
  if (last >= room) return null;
  return value * room + last;
}

/**
 * True when the last dot-separated label is numeric (all digits, or `0x`
 * followed by hex digits). Per the WHATWG URL standard such a host is an IPv4
 * address or invalid, never a DNS name.
 */
export function endsInNumber(host: string): boolean {
  const last = host.slice(host.lastIndexOf('.') + 1);
  return /^[0-9]+$/.test(last) || /^0[xX][0-9a-fA-F]*$/.test(last);
}

/** Formats a 32-bit IPv4 value as a dotted quad. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

function parseGroups(text: string, allowV4Tail: boolean): number[] | null {
  if (text === '') return [];
  const groups = text.split(':');
  const out: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i] ?? '';
    if (allowV4Tail && i === groups.length - 1 && g.includes('.')) {
      const v4 = parseIpv4Strict(g);
      if (v4 === null) return null;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else if (HEX_GROUP.test(g)) {
      out.push(Number.parseInt(g, 16));
    } else {
      return null;
    }
  }
  return out;
}

/**
 * IPv6 text (RFC 4291 §2.2) to eight words: hex groups, at most one `::`, an
 * optional dotted-quad tail. Zone identifiers (`%eth0`) are refused: they name
 * an interface of this machine, which no policy should reach.
 */
export function parseIpv6(text: string): number[] | null {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const [head = '', tail] = halves;
  if (tail === undefined) {
    const words = parseGroups(head, true);
    return words !== null && words.length === 8 ? words : null;
  }
  const left = parseGroups(head, false);
  const right = parseGroups(tail, true);
  if (left === null || right === null) return null;
  const missing = 8 - left.length - right.length;
  if (missing < 1) return null;
  return [...left, ...new Array<number>(missing).fill(0), ...right];
}

/** True for `::ffff:0:0/96`, the IPv4-mapped range (RFC 4291 §2.5.5.2). */
export function isMappedWords(words: readonly number[]): boolean {
  return (
    words[0] === 0 &&
    words[1] === 0 &&
    words[2] === 0 &&
    words[3] === 0 &&
    words[4] === 0 &&
    words[5] === 0xffff
  );
}

/** The IPv4 value held in the low 32 bits of an IPv6 address. */
export function low32(words: readonly number[]): number {
  return (words[6] ?? 0) * 0x10000 + (words[7] ?? 0);
}

/**
 * Canonical IPv6 text (RFC 5952 §4): lower-case hex without leading zeros, the
 * longest run of two or more zero words (the first on a tie) as `::`, and
 * IPv4-mapped addresses in mixed notation (`::ffff:127.0.0.1`, §5).
 */
export function formatIpv6(words: readonly number[]): string {
  if (isMappedWords(words)) return `::ffff:${formatIpv4(low32(words))}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number): string =>
    words
      .slice(from, to)
      .map((w) => w.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/**
 * Parses an IP literal for classification: IPv6 (brackets optional) or IPv4
 * in any inet_aton form. Returns null when `text` is not an IP literal.
 */
export function parseIp(text: string): ParsedIp | null {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (bare.includes(':')) {
    const words = parseIpv6(bare);
    return words === null ? null : { version: 6, words };
  }
  const value = parseIpv4Loose(bare);
  return value === null ? null : { version: 4, value };
}
