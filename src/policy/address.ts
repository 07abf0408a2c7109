import { formatIpv4, isMappedWords, low32, type ParsedIp, parseIp } from './ip.ts';

/**
 * What an address is, for the SSRF guard. Everything but `public` is refused
 * unless the operator allows it (`--allow-private HOST|CIDR`).
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

/** [network, prefix length, class] for IPv4, most specific first. */
const V4_RANGES: readonly (readonly [string, number, AddressClass])[] = [
  // Cloud instance metadata: AWS/GCP/Azure/OCI IMDS, AWS ECS task metadata,
  // Alibaba Cloud, Azure WireServer.
  ['169.254.169.254', 32, 'metadata'],
  ['169.254.170.2', 32, 'metadata'],
  ['100.100.100.200', 32, 'metadata'],
  ['168.63.129.16', 32, 'metadata'],
  ['0.0.0.0', 8, 'unspecified'], // RFC 1122 "this network"
  ['127.0.0.0', 8, 'loopback'],
  ['10.0.0.0', 8, 'private'], // RFC 1918
  ['172.16.0.0', 12, 'private'],
  ['192.168.0.0', 16, 'private'],
  ['100.64.0.0', 10, 'private'], // RFC 6598 carrier-grade NAT
  ['169.254.0.0', 16, 'link-local'], // RFC 3927
  ['192.0.0.0', 24, 'reserved'], // RFC 6890 IETF protocol assignments
  ['192.0.2.0', 24, 'reserved'], // RFC 5737 documentation
  ['198.51.100.0', 24, 'reserved'],
  ['203.0.113.0', 24, 'reserved'],
  ['192.88.99.0', 24, 'reserved'], // RFC 7526 deprecated 6to4 relay
  ['198.18.0.0', 15, 'reserved'], // RFC 2544 benchmarking
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes 255.255.255.255
];

function v4Value(text: string): number {
  const parsed = parseIp(text);
  if (parsed?.version !== 4) throw new TypeError('bad built-in range');
  return parsed.value;
}

const V4_TABLE = V4_RANGES.map(([net, prefix, cls]) => ({
  net: v4Value(net),
  prefix,
  cls,
}));

function v4InPrefix(value: number, net: number, prefix: number): boolean {
  if (prefix === 0) return true;
  const size = 2 ** (32 - prefix);
  return Math.floor(value / size) === Math.floor(net / size);
}

function classifyV4(value: number): AddressClass {
  for (const r of V4_TABLE) if (v4InPrefix(value, r.net, r.prefix)) return r.cls;
  return 'public';
}

function classifyV6(w: readonly number[]): AddressClass {
  const [w0 = 0, w1 = 0, w2 = 0, w3 = 0, w4 = 0, w5 = 0, w6 = 0, w7 = 0] = w;
  const high96Zero = w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0;
  if (high96Zero && w6 === 0 && w7 === 0) return 'unspecified';
  if (high96Zero && w6 === 0 && w7 === 1) return 'loopback';
  // IPv4-mapped (RFC 4291 §2.5.5.2) and the deprecated IPv4-compatible
  // ::a.b.c.d (§2.5.5.1): some stacks still route them to the IPv4 address.
  if (isMappedWords(w) || high96Zero) return classifyV4(low32(w));
  // NAT64 well-known prefix 64:ff9b::/96 (RFC 6052) reaches the embedded IPv4.
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) {
    return classifyV4(low32(w));
  }
  // 64:ff9b:1::/48 local-use NAT64 (RFC 8215): translates into private space.
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 1) return 'private';
  // AWS IMDS over IPv6.
  if (w0 === 0xfd00 && w1 === 0xec2 && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) {
    if (w6 === 0 && w7 === 0x254) return 'metadata';
  }
  if ((w0 & 0xfe00) === 0xfc00) return 'unique-local'; // fc00::/7, RFC 4193
  if ((w0 & 0xffc0) === 0xfe80) return 'link-local'; // fe80::/10
  if ((w0 & 0xffc0) === 0xfec0) return 'private'; // fec0::/10 deprecated site-local
  if ((w0 & 0xff00) === 0xff00) return 'multicast'; // ff00::/8
  // 6to4 (RFC 3056) embeds an IPv4 address in bits 16..47.
  if (w0 === 0x2002) return classifyV4(w1 * 0x10000 + w2);
  if (w0 === 0x2001 && w1 === 0) return 'reserved'; // Teredo: obfuscated endpoint
  if (w0 === 0x2001 && w1 === 0xdb8) return 'reserved'; // RFC 3849 documentation
  if (w0 === 0x2001 && w1 === 2 && w2 === 0) return 'reserved'; // RFC 5180 benchmarking
  if (w0 === 0x2001 && (w1 & 0xfff0) === 0x10) return 'reserved'; // ORCHID
  if (w0 === 0x2001 && (w1 & 0xfff0) === 0x20) return 'reserved'; // ORCHIDv2
  if (w0 === 0x3fff && (w1 & 0xf000) === 0) return 'reserved'; // RFC 9637 documentation
  if (w0 === 0x100 && w1 === 0 && w2 === 0 && w3 === 0) return 'reserved'; // discard-only
  // Anything outside global unicast 2000::/3 is not a routable destination.
  if ((w0 & 0xe000) !== 0x2000) return 'reserved';
  return 'public';
}

/** Parses `ip`, or throws `TypeError`: callers pass resolver output or a parsed target. */
function parseOrThrow(ip: string): ParsedIp {
  if (typeof ip !== 'string') throw new TypeError('ip must be a string');
  const parsed = parseIp(ip);
  if (parsed === null) throw new TypeError('not an IP address');
  return parsed;
}

/**
 * Classifies an IPv4 or IPv6 address for the SSRF guard. IPv4 may be in any
 * inet_aton form; IPv6 in any RFC 4291 form, brackets optional.
 *
 * IPv6 forms that carry an IPv4 address are classified by that address:
 * IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96`, NAT64 `64:ff9b::/96`
 * and 6to4 `2002::/16`. Metadata endpoints (169.254.169.254, fd00:ec2::254
 * and a few other clouds') are `metadata`; 100.64.0.0/10 (CGNAT) is
 * `private`; 0.0.0.0/8 and `::` are `unspecified`. Documentation,
 * benchmarking, Teredo and everything outside 2000::/3 are `reserved`.
 *
 * Throws `TypeError` when `ip` is not an IP literal (a caller bug).
 */
export function classifyAddress(ip: string): AddressClass {
  const parsed = parseOrThrow(ip);
  return parsed.version === 4 ? classifyV4(parsed.value) : classifyV6(parsed.words);
}

/**
 * The dotted-quad IPv4 address inside an IPv4-mapped IPv6 address
 * (`::ffff:127.0.0.1` or `::ffff:7f00:1`), or null when `ip` is anything else.
 */
export function ipv4Mapped(ip: string): string | null {
  const parsed = parseIp(ip);
  if (parsed?.version !== 6 || !isMappedWords(parsed.words)) return null;
  return formatIpv4(low32(parsed.words));
}

/** A parsed CIDR block: the network address and prefix length. */
export interface Cidr {
  readonly version: 4 | 6;
  /** Network address as 4 or 16 bytes. */
  readonly bytes: readonly number[];
  readonly prefix: number;
}

function toBytes(parsed: ParsedIp): number[] {
  if (parsed.version === 4) {
    const v = parsed.value;
    return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
  }
  return parsed.words.flatMap((w) => [w >>> 8, w & 255]);
}

function prefixEqual(a: readonly number[], b: readonly number[], prefix: number): boolean {
  let bits = prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false;
  }
  return true;
}

/**
 * Parses `ADDR/PREFIX` (or a bare address, taken as a single host) for the
 * `--allow-private` allow-list. IPv4 must be a dotted quad here. Host bits
 * set (`10.0.0.1/8`) are refused as a likely mistake. Returns null when
 * `text` is not a CIDR, so callers can fall back to reading a host name.
 */
export function parseCidr(text: string): Cidr | null {
  if (typeof text !== 'string' || text.length > 60) return null;
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const isV6 = addr.includes(':');
  if (!isV6 && !/^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$/.test(addr)) return null;
  const parsed = parseIp(addr);
  if (parsed === null) return null;
  const max = parsed.version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > max) return null;
    prefix = Number(p);
  }
  const bytes = toBytes(parsed);
  // Host bits must be zero: the block is then the network the operator wrote.
  for (let i = 0; i < bytes.length; i++) {
    const bitsHere = Math.min(8, Math.max(0, prefix - i * 8));
    const hostMask = bitsHere >= 8 ? 0 : 0xff >>> bitsHere;
    if (((bytes[i] ?? 0) & hostMask) !== 0) return null;
  }
  return { version: parsed.version, bytes, prefix };
}

/**
 * True when `ip` lies in `cidr`. An IPv4-mapped IPv6 address is compared as
 * its IPv4 address, so `10.0.0.0/8` also covers `::ffff:10.0.0.5`.
 */
export function cidrContains(cidr: Cidr, ip: string): boolean {
  let parsed = parseOrThrow(ip);
  if (parsed.version === 6 && isMappedWords(parsed.words)) {
    parsed = { version: 4, value: low32(parsed.words) };
  }
  if (parsed.version !== cidr.version) return false;
  return prefixEqual(cidr.bytes, toBytes(parsed), cidr.prefix);
}
