import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { type HostPattern, parseAllowPrivateEntry, parseHostPattern } from '../policy/index.ts';
import type { EgressMode, ProxyLimits, ProxyOptions, ResolveOverride } from './types.ts';

/**
 * The safe defaults, declared once. Each is enforced where it is used:
 * body limits while streaming, header size by the HTTP parser, timeouts by
 * the sockets they guard.
 */
export const DEFAULT_PROXY_LIMITS: ProxyLimits = Object.freeze({
  maxRequestBodyBytes: 64 * 1024 * 1024,
  maxResponseBodyBytes: 512 * 1024 * 1024,
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 30_000,
  idleTimeoutMs: 120_000,
  // Generous: model APIs may think for minutes before their first byte.
  upstreamTimeoutMs: 300_000,
});

/** `ProxyOptions` with every default filled in and the derived lookup tables built. */
export interface ResolvedProxyOptions {
  readonly egress: EgressMode;
  /** Parsed `egressAllow` (port 443 unless given). */
  readonly egressAllow: readonly HostPattern[];
  readonly allowPrivate: readonly string[];
  /** Keyed by `host:port` (host lower case). */
  readonly resolve: ReadonlyMap<string, string>;
  readonly limits: ProxyLimits;
  /** Built once: `tls.rootCertificates` plus `upstreamCa`, shared by every upstream connection. */
  readonly upstreamTls: SecureContext;
}

function positive(name: keyof ProxyLimits, value: number | undefined): number {
  const v = value ?? DEFAULT_PROXY_LIMITS[name];
  if (!Number.isSafeInteger(v) || v <= 0) {
    throw new TypeError(`proxy limit ${name} must be a positive integer`);
  }
  return v;
}

function resolveTable(entries: readonly ResolveOverride[]): Map<string, string> {
  const table = new Map<string, string>();
  for (const e of entries) table.set(`${e.host.toLowerCase()}:${e.port}`, e.address);
  return table;
}

/**
 * Validates `options` and fills in the defaults. A bad limit throws
 * `TypeError`; a bad `egressAllow` or `allowPrivate` entry throws
 * `AirlockError('ERR_INVALID_ARGUMENT')`, so configuration fails at startup,
 * not on the first request.
 */
export function resolveProxyOptions(options: ProxyOptions): ResolvedProxyOptions {
  const egress = options.egress ?? 'deny';
  if (egress !== 'deny' && egress !== 'tunnel')
    throw new TypeError('egress must be deny or tunnel');
  const l = options.limits ?? {};
  return {
    egress,
    egressAllow: (options.egressAllow ?? []).map((p) => parseHostPattern(p, 443)),
    allowPrivate: (options.allowPrivate ?? []).map((entry) => {
      parseAllowPrivateEntry(entry);
      return entry;
    }),
    resolve: resolveTable(options.resolve ?? []),
    limits: {
      maxRequestBodyBytes: positive('maxRequestBodyBytes', l.maxRequestBodyBytes),
      maxResponseBodyBytes: positive('maxResponseBodyBytes', l.maxResponseBodyBytes),
      maxHeaderBytes: positive('maxHeaderBytes', l.maxHeaderBytes),
      headersTimeoutMs: positive('headersTimeoutMs', l.headersTimeoutMs),
      idleTimeoutMs: positive('idleTimeoutMs', l.idleTimeoutMs),
      upstreamTimeoutMs: positive('upstreamTimeoutMs', l.upstreamTimeoutMs),
    },
    upstreamTls: createSecureContext({ ca: [...rootCertificates, ...(options.upstreamCa ?? [])] }),
  };
}
