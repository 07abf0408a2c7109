import { isIPv4, isIPv6 } from 'node:net';

/**
 * A host a leaf certificate can be issued for: a DNS name, which becomes a
 * `dNSName`, or an IP literal, which becomes an `iPAddress` holding 4 or 16
 * octets (RFC 5280 §4.2.1.6).
 */
export type LeafHost =
  | { readonly kind: 'dns'; readonly name: string }
  | { readonly kind: 'ip'; readonly name: string; readonly octets: Buffer };

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Classifies `host` as a lower-case DNS name (letters, digits and hyphens,
 * labels of 1–63 characters, 253 in all, RFC 1123 §2.1) or an IPv4 / IPv6
 * literal without brackets or zone. Anything else is a caller bug, because
 * the proxy validates and normalises the `CONNECT` target before it asks for
 * a certificate, so this throws `TypeError`. Wildcards, trailing dots and
 * upper case are refused rather than normalised here.
 */
export function parseLeafHost(host: unknown): LeafHost {
  if (typeof host !== 'string' || host.length === 0 || host.length > 253) {
    throw new TypeError('host must be a non-empty string of at most 253 characters');
  }
  if (host !== host.toLowerCase()) throw new TypeError('host must be lower case');
  if (isIPv4(host)) return { kind: 'ip', name: host, octets: ipv4Octets(host) };
  if (isIPv6(host)) {
    if (host.includes('%')) throw new TypeError('host must not carry an IPv6 zone');
    return { kind: 'ip', name: host, octets: ipv6Octets(host) };
  }
  const labels = host.split('.');
  if (!labels.every((label) => LABEL.test(label))) {
    throw new TypeError('host must be a DNS name or an IP literal');
  }
  // WHATWG URL parsing reads an all-numeric last label as IPv4, so such a name is never a DNS name.
  if (/^\d+$/.test(labels[labels.length - 1] ?? '')) {
    throw new TypeError('host must be a DNS name or an IP literal');
  }
  return { kind: 'dns', name: host };
}

function ipv4Octets(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}

/** The 16 octets of an IPv6 literal that `net.isIPv6` has accepted (RFC 4291 §2.2). */
function ipv6Octets(address: string): Buffer {
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const out: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = ipv4Octets(piece);
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const gap = address.indexOf('::');
  const head = groups(gap === -1 ? address : address.slice(0, gap));
  const tail = gap === -1 ? [] : groups(address.slice(gap + 2));
  const zeros = gap === -1 ? 0 : 8 - head.length - tail.length;
  const all = [...head, ...new Array<number>(zeros).fill(0), ...tail];
  if (all.length !== 8) throw new TypeError('host is not a valid IPv6 literal');
  const octets = Buffer.alloc(16);
  all.forEach((group, i) => {
    octets.writeUInt16BE(group, i * 2);
  });
  return octets;
}
