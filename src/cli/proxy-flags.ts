import { readFile } from 'node:fs/promises';
import { AirlockError } from '../core/index.ts';
import type { ProxyOptions, ResolveOverride } from '../proxy/index.ts';
import { list, type OptionValues, str } from './command.ts';

/** The `serve` options that configure the proxy. */
export const PROXY_OPTIONS = {
  proxy: { type: 'string' },
  egress: { type: 'string' },
  'egress-allow': { type: 'string', multiple: true },
  'allow-private': { type: 'string', multiple: true },
  resolve: { type: 'string', multiple: true },
  'upstream-ca': { type: 'string', multiple: true },
} as const;

export const PROXY_HELP = `  --proxy HOST:PORT        proxy listener (default 127.0.0.1:4780)
  --egress deny|tunnel     what happens to a CONNECT no grant matches (default deny: 403)
  --egress-allow HOST      blind-tunnel this host pattern without credentials (repeatable)
  --allow-private HOST|CIDR  let the SSRF guard pass a private/loopback address (repeatable)
  --resolve HOST:PORT:ADDR dial ADDR for HOST:PORT instead of asking DNS, like curl (repeatable)
  --upstream-ca FILE       also trust this PEM file for upstream TLS (repeatable)`;

/** Turns `--resolve host:port:addr` into an override; IPv6 addresses may be bracketed. */
export function parseResolve(text: string): ResolveOverride {
  const m = /^([A-Za-z0-9.-]+):(\d{1,5}):\[?([0-9A-Fa-f:.]+)\]?$/.exec(text);
  const port = Number(m?.[2]);
  if (m === null || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      `--resolve takes HOST:PORT:ADDR, got "${text.slice(0, 80)}"`,
    );
  }
  return { host: (m[1] as string).toLowerCase(), port, address: m[3] as string };
}

/** Reads the proxy flags into `ProxyOptions` (the proxy validates patterns and CIDRs itself). */
export async function proxyOptionsFromFlags(values: OptionValues): Promise<ProxyOptions> {
  const egress = str(values, 'egress') ?? 'deny';
  if (egress !== 'deny' && egress !== 'tunnel') {
    throw new AirlockError('ERR_INVALID_ARGUMENT', '--egress must be deny or tunnel');
  }
  const upstreamCa: string[] = [];
  for (const file of list(values, 'upstream-ca')) {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (cause) {
      throw new AirlockError('ERR_INVALID_ARGUMENT', `cannot read --upstream-ca ${file}`, {
        cause,
      });
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new AirlockError(
        'ERR_INVALID_ARGUMENT',
        `--upstream-ca ${file} holds no PEM certificate`,
      );
    }
    upstreamCa.push(pem);
  }
  return {
    egress,
    egressAllow: list(values, 'egress-allow'),
    allowPrivate: list(values, 'allow-private'),
    resolve: list(values, 'resolve').map(parseResolve),
    upstreamCa,
  };
}
