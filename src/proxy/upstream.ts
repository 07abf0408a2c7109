import { type ClientRequest, Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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
  };
  // HTTP/1.1 only: the upstream h2 pool comes with h2 interception.
  const https = new HttpsAgent({ ...common, secureContext: options.upstreamTls });
  const http = new HttpAgent(common);
  const timeoutMs = options.limits.upstreamTimeoutMs;
  return {
    request(dest, method, path, headers) {
      const common = {
        host: dest.address,
        port: dest.port,
        family: dest.family,
        method,
        path,
        headers,
        timeout: timeoutMs,
      };
      const req =
        dest.scheme === 'https'
          ? httpsRequest({
              ...common,
              agent: https,
              servername: isIP(dest.host) === 0 ? dest.host : '',
              rejectUnauthorized: true,
            })
          : httpRequest({ ...common, agent: http });
      return req;
    },
    destroy() {
      https.destroy();
      http.destroy();
    },
  };
}
