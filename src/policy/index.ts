export {
  type AddressClass,
  type Cidr,
  cidrContains,
  classifyAddress,
  ipv4Mapped,
  parseCidr,
} from './address.ts';
export { type AllowPrivateEntry, isAllowedPrivate, parseAllowPrivateEntry } from './allow.ts';
export { bindingsForDestination, selectBinding } from './decide.ts';
export { buildBinding, type GrantLimits, validateGrantNarrowing } from './grant.ts';
export {
  type ConnectTarget,
  formatAuthority,
  formatHostPattern,
  matchHost,
  parseConnectTarget,
  parseHostPattern,
} from './host.ts';
export { type HeaderEntry, type Injected, injectCredential } from './inject.ts';
export { parseMethods } from './method.ts';
export {
  isOpaqueSegment,
  MAX_REQUEST_TARGET,
  type NormalizedPath,
  normalizePath,
  type PathRejection,
} from './path.ts';
export {
  matchPath,
  type PathPattern,
  type PatternSegment,
  parsePathPattern,
  patternContains,
} from './path-pattern.ts';
export {
  formatScope,
  formatScopeEntry,
  intersectScope,
  MAX_SCOPE_ENTRIES,
  parseScope,
  parseScopeEntry,
  requireScopeWithin,
  type Scope,
  type ScopeEntry,
  type ScopeRequest,
  scopeAllows,
  scopeBindings,
  scopeContains,
  scopeFromBindings,
} from './scope.ts';
export { intersectPatterns, unionCovers } from './scope-paths.ts';
export { parseAuthScheme, parsePathPatterns, parseServiceSpec } from './service.ts';
export type { AuthScheme, Binding, HostPattern, ServiceSpec } from './types.ts';
