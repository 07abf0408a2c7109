/**
 * Policy as data: services, grants and the bindings the proxy enforces are
 * plain serialisable values. The functions that decide on them live beside
 * this file and are pure (no I/O, no clock: `now` is passed in).
 */

/** How a service's credential is put into a request. */
export type AuthScheme =
  /** `Authorization: Bearer <value>` */
  | { readonly kind: 'bearer' }
  /** `Authorization: Basic base64(username:value)`, or base64(value) when username is null (value is `user:pass`). */
  | { readonly kind: 'basic'; readonly username: string | null }
  /** `<header>: <prefix><value>` */
  | { readonly kind: 'header'; readonly header: string; readonly prefix: string }
  /** `?<param>=<value>` appended to (or replacing the same parameter in) the query string. */
  | { readonly kind: 'query'; readonly param: string };

/** `api.example.com` or `*.example.com` (subdomains only, not the apex), lower case, with a port. */
export interface HostPattern {
  readonly pattern: string;
  readonly port: number;
}

/** A stored service definition (`ServiceRecord.spec`). */
export interface ServiceSpec {
  readonly scheme: 'https' | 'http';
  readonly hosts: readonly HostPattern[];
  /** Path patterns: segment globs, `*` one segment, `**` as the last segment for the rest. */
  readonly paths: readonly string[];
  /** Upper-case methods, or null for any method. */
  readonly methods: readonly string[] | null;
  readonly auth: AuthScheme;
  /** Name of the secret (in the same workspace) whose value is injected. */
  readonly secret: string;
  /** Environment variable that will carry this service's placeholder (used by `airlock run`). */
  readonly env: string | null;
}

/**
 * What one grant lets one agent do through one service: the service's limits
 * intersected with the grant's. The proxy holds a list of these per agent.
 */
export interface Binding {
  readonly grantId: string;
  readonly serviceName: string;
  readonly secretName: string;
  readonly scheme: 'https' | 'http';
  readonly hosts: readonly HostPattern[];
  /** Both must match: every service pattern list and grant pattern list is a separate conjunct. */
  readonly pathSets: readonly (readonly string[])[];
  /** Upper-case methods; null means any. */
  readonly methods: readonly string[] | null;
  readonly auth: AuthScheme;
  readonly expiresAt: number | null;
}
