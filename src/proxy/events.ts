import { channel } from 'node:diagnostics_channel';
import type { AgentPrincipal, EventTask, ProxyDeniedEvent, ProxyRequestEvent } from './types.ts';

/** `diagnostics_channel` names the proxy publishes on. Audit, metrics and logs subscribe. */
export const PROXY_CHANNELS = Object.freeze({
  /** A request was forwarded with an injected credential (`ProxyRequestEvent`). */
  request: 'airlock:proxy:request',
  /** The proxy refused something (`ProxyDeniedEvent`). */
  denied: 'airlock:proxy:denied',
  /** A blind tunnel (no credential) opened and closed (`ProxyTunnelEvent`). */
  tunnel: 'airlock:proxy:tunnel',
  /** A placeholder was presented where it may not be used (`ProxyExfiltrationEvent`). */
  exfiltration: 'airlock:proxy:exfiltration_attempt',
} as const);

/** The `task` field of an event for `principal`: ids and chain, never the token. */
export function eventTask(principal: AgentPrincipal | null | undefined): EventTask | null {
  const task = principal?.task;
  return task === undefined ? null : { taskId: task.taskId, jti: task.jti, chain: task.chain };
}

/** Published on `airlock:proxy:tunnel` when a blind tunnel closes. */
export interface ProxyTunnelEvent {
  readonly agentId: string;
  readonly agentName: string;
  readonly workspaceId: string;
  readonly task: EventTask | null;
  readonly host: string;
  readonly port: number;
  /** Address actually dialled (the one the SSRF guard checked). */
  readonly address: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
}

const requestChannel = channel(PROXY_CHANNELS.request);
const deniedChannel = channel(PROXY_CHANNELS.denied);
const tunnelChannel = channel(PROXY_CHANNELS.tunnel);

/*
 * Events are built lazily: with nobody subscribed, the hot path allocates
 * nothing for them.
 */

/** Publishes a forwarded request, building the event only when someone listens. */
export function publishRequest(build: () => ProxyRequestEvent): void {
  if (requestChannel.hasSubscribers) requestChannel.publish(build());
}

/** Publishes a refusal, building the event only when someone listens. */
export function publishDenied(build: () => ProxyDeniedEvent): void {
  if (deniedChannel.hasSubscribers) deniedChannel.publish(build());
}

/** Publishes a closed blind tunnel, building the event only when someone listens. */
export function publishTunnel(build: () => ProxyTunnelEvent): void {
  if (tunnelChannel.hasSubscribers) tunnelChannel.publish(build());
}

/** Names of the query parameters in `query` (without `?`), values dropped. */
export function queryNames(query: string): string[] {
  if (query === '') return [];
  const names: string[] = [];
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    names.push(eq < 0 ? pair : pair.slice(0, eq));
  }
  return names;
}
