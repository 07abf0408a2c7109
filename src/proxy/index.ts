export { PROXY_CHANNELS, type ProxyTunnelEvent } from './events.ts';
export { createProxy } from './listener.ts';
export { DEFAULT_PROXY_LIMITS } from './options.ts';
export type {
  AgentPrincipal,
  EgressMode,
  ProxyDeniedEvent,
  ProxyDeps,
  ProxyLimits,
  ProxyOptions,
  ProxyRequestEvent,
  ProxyServer,
  ResolveOverride,
} from './types.ts';
