import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AirlockError } from '../core/index.ts';
import { classifyAddress, isAllowedPrivate } from '../policy/index.ts';
import type { ResolvedProxyOptions } from './options.ts';

/** Where the proxy will connect: the one address the SSRF guard checked. */
export interface CheckedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

async function candidates(
  host: string,
  port: number,
  options: ResolvedProxyOptions,
): Promise<string[]> {
  if (isIP(host) !== 0) return [host];
  const fixed = options.resolve.get(`${host}:${port}`);
  if (fixed !== undefined) return [fixed];
  try {
    const answers = await lookup(host, { all: true, order: 'verbatim' });
    return answers.map((a) => a.address);
  } catch (err) {
    throw new AirlockError('ERR_UPSTREAM_UNREACHABLE', `cannot resolve ${host}`, { cause: err });
  }
}

/**
 * The SSRF guard. Resolves `host` once (an IP literal as itself, a
 * `resolve` override, or every address DNS returns) and refuses the
 * destination with `ERR_PRIVATE_ADDRESS` if ANY answer is not public
 * (loopback, private, link-local, unique-local, metadata, unspecified,
 * multicast, reserved; IPv4-mapped IPv6 is judged by its IPv4 address)
 * unless `allowPrivate` names the host or a block holding that address.
 * Checking every answer, not just the one dialled, keeps a name that mixes
 * public and private answers from being accepted on a lucky resolution.
 *
 * The caller must dial exactly the returned address and never resolve the
 * name again (DNS rebinding).
 */
export async function checkDestination(
  host: string,
  port: number,
  options: ResolvedProxyOptions,
): Promise<CheckedAddress> {
  const addresses = await candidates(host, port, options);
  const first = addresses[0];
  if (first === undefined)
    throw new AirlockError('ERR_UPSTREAM_UNREACHABLE', `cannot resolve ${host}`);
  for (const address of addresses) {
    const family = isIP(address);
    if (family === 0) throw new AirlockError('ERR_UPSTREAM_UNREACHABLE', `cannot resolve ${host}`);
    const cls = classifyAddress(address);
    if (cls !== 'public' && !isAllowedPrivate(options.allowPrivate, host, address)) {
      throw new AirlockError(
        'ERR_PRIVATE_ADDRESS',
        `${host} resolves to a ${cls} address; the proxy refuses it unless allowed (allowPrivate)`,
      );
    }
  }
  return { address: first, family: isIP(first) === 6 ? 6 : 4 };
}
