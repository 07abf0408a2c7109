export { PROXY_CHANNELS, type ProxyTunnelEvent } from './events.ts';
export { INTERNAL_HOST } from './internal.ts';
export { createProxy } from './listener.ts';
export { DEFAULT_PROXY_LIMITS } from './options.ts';
export {
  findPlaceholders,
  isPlaceholder,
  PLACEHOLDER_MIN_RANDOM,
  PLACEHOLDER_PREFIX,
} from './placeholder.ts';
export type {
  ExfiltrationReason,
  PlaceholderDeps,
  PlaceholderGrant,
  PlaceholderSite,
  ProxyExfiltrationEvent,
} from './placeholders.ts';
export type {
  AgentPrincipal,
  EgressMode,
  InternalEndpoints,
  ProxyDeniedEvent,
  ProxyDeps,
  ProxyForwardEvent,
  ProxyLimits,
  ProxyOptions,
  ProxyRequestEvent,
  ProxyServer,
  ResolveOverride,
  TaskContext,
} from './types.ts';
