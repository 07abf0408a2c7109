/**
 * Extracts the agent key from a `Proxy-Authorization` header (RFC 9110
 * §11.7.2): `Basic base64(anything:KEY)` (the key is the password, so proxy
 * URLs like `http://agent:KEY@host:port` work in every client) or
 * `Bearer KEY`. Returns null for anything else; the caller answers 407.
 */
export function proxyKey(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null;
  const space = header.indexOf(' ');
  if (space <= 0) return null;
  const scheme = header.slice(0, space).toLowerCase();
  const credentials = header.slice(space + 1).trim();
  if (credentials === '') return null;
  if (scheme === 'bearer') return credentials;
  if (scheme !== 'basic') return null;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(credentials)) return null;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  const key = decoded.slice(colon + 1);
  return key === '' ? null : key;
}
