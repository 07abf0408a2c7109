import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from 'node:http';
import {
  Agent as HttpsAgent,
  type RequestOptions as HttpsRequestOptions,
  request as httpsRequest,
} from 'node:https';
import { isIP } from 'node:net';
import type { ResolvedProxyOptions } from './options.ts';

/**
 * A destination the proxy may dial: the canonical host the agent asked for,
 * and the address the SSRF guard checked for it.
 */
export interface Destination {
  readonly scheme: 'https' | 'http';
  /** Canonical host (lower case; IPv6 without brackets), as `parseConnectTarget` returns it. */
  readonly host: string;
  readonly port: number;
  /** The checked address; the only one ever dialled for this destination. */
  readonly address: string;
  readonly family: 4 | 6;
}

/** Keep-alive pools for upstream connections, one per scheme. */
export interface UpstreamPool {
  /**
   * Starts a request to `dest`, dialling `dest.address` (never resolving the
   * name again) and, for https, verifying the certificate against `dest.host`
   * with SNI set to it (no SNI for an IP literal, RFC 6066 §3).
   */
  request(
    dest: Destination,
    method: string,
    path: string,
    headers: readonly string[],
  ): ClientRequest;
  /** Closes every pooled connection. */
  destroy(): void;
}

/**
 * Pool sizing, declared once. Agents' requests never queue behind each
 * other (no per-origin socket cap), but at most this many idle connections
 * per origin are kept warm, and the most recent one is reused first (LIFO),
 * so a burst leaves a few hot sockets, not hundreds.
 */
const MAX_FREE_SOCKETS_PER_ORIGIN = 64;
/** TLS sessions kept for resumption, across origins: a new upstream connection then skips the full handshake. */
const MAX_CACHED_TLS_SESSIONS = 256;

/** The request options that depend only on the destination, built once per destination. */
type BaseOptions = Readonly<HttpsRequestOptions>;

/**
 * Builds the upstream pools. Certificates are verified against
 * `tls.rootCertificates` plus `upstreamCa` through one shared secure context
 * (built once in `resolveProxyOptions`). Connections are keyed by address,
 * port and SNI name, so each reused socket was dialled to a checked address
 * for the same host.
 */
export function createUpstreamPool(options: ResolvedProxyOptions): UpstreamPool {
  const common = {
    keepAlive: true,
    scheduling: 'lifo' as const,
    timeout: options.limits.idleTimeoutMs,
    maxFreeSockets: MAX_FREE_SOCKETS_PER_ORIGIN,
  };
  // HTTP/1.1 only: the upstream h2 pool comes with h2 interception.
  const https = new HttpsAgent({
    ...common,
    secureContext: options.upstreamTls,
    maxCachedSessions: MAX_CACHED_TLS_SESSIONS,
  });
  const http = new HttpAgent(common);
  const timeoutMs = options.limits.upstreamTimeoutMs;
  // A tunnel's requests all go to one destination: its options are built on
  // its first request, not on every one. Keyed weakly, they go with the tunnel.
  const bases = new WeakMap<Destination, BaseOptions>();
  const baseFor = (dest: Destination): BaseOptions => {
    let base = bases.get(dest);
    if (base === undefined) {
      const tcp = { host: dest.address, port: dest.port, family: dest.family, timeout: timeoutMs };
      base =
        dest.scheme === 'https'
          ? {
              ...tcp,
              agent: https,
              servername: isIP(dest.host) === 0 ? dest.host : '',
              rejectUnauthorized: true,
            }
          : { ...tcp, agent: http };
      bases.set(dest, base);
    }
    return base;
  };
  return {
    request(dest, method, path, headers) {
      const o = { ...baseFor(dest), method, path, headers };
      return dest.scheme === 'https' ? httpsRequest(o) : httpRequest(o);
    },
    destroy() {
      https.destroy();
      http.destroy();
    },
  };
}
