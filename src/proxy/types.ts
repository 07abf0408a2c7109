import type { IncomingMessage } from 'node:http';
import type { SecureContext } from 'node:tls';
import type { AgentId, Clock, ErrorCode, WorkspaceId } from '../core/index.ts';
import type { Scope } from '../policy/scope.ts';
import type { Binding } from '../policy/types.ts';
import type { PlaceholderDeps } from './placeholders.ts';

/** Who is speaking through the proxy: the agent its key (or token) authenticates as. */
export interface AgentPrincipal {
  readonly agentId: AgentId;
  readonly agentName: string;
  readonly workspaceId: WorkspaceId;
  /** Set when the agent presented a task token rather than its key: what the token says. */
  readonly task?: TaskContext;
}

/** The task token a principal was authenticated by (DESIGN, "Principals and tokens"). */
export interface TaskContext {
  readonly taskId: string;
  readonly jti: string;
  /** The token's scope: the proxy enforces the agent's bindings narrowed to it. */
  readonly scope: Scope;
  /** When the token expires (ms since the epoch). */
  readonly expiresAt: number;
  /** The `act` chain (RFC 8693 §4.1), most recent actor first, the originating user last. */
  readonly chain: readonly string[];
}

/**
 * The agent-facing endpoints at the reserved host `airlock.internal`
 * (plain HTTP through the proxy). The proxy parses and authenticates; these
 * answer with `[status, JSON body]`.
 */
export interface InternalEndpoints {
  /** `GET /.well-known/jwks.json`: the token-signing public keys (no authentication). */
  jwks(): unknown;
  /** `POST /oauth/token`: RFC 8693 token exchange by the authenticated agent. */
  exchange(principal: AgentPrincipal, form: URLSearchParams): Promise<readonly [number, unknown]>;
  /**
   * `POST /oauth/revoke` (RFC 7009 §2.1): revokes the form's `token`, and
   * everything derived from it, when the caller holds it or one of its ancestors.
   */
  revoke(principal: AgentPrincipal, form: URLSearchParams): Promise<readonly [number, unknown]>;
  /** `GET /v1/whoami`: agent, task, scope, expiry and delegation chain. */
  whoami(principal: AgentPrincipal): Promise<unknown>;
  /** `GET /v1/services`: what this principal may call (hosts, methods, paths, env var name). */
  services(principal: AgentPrincipal): Promise<unknown>;
  /** Reads a form body with the endpoint's own limit. */
  readForm(req: IncomingMessage): Promise<URLSearchParams>;
}

/** One `curl --resolve`-style override: `host:port` dials `address` instead of asking DNS. */
export interface ResolveOverride {
  readonly host: string;
  readonly port: number;
  readonly address: string;
}

/**
 * Size limits and timeouts. Every field has a safe default in
 * `DEFAULT_PROXY_LIMITS`; the proxy enforces each while streaming.
 */
export interface ProxyLimits {
  /** Largest request body forwarded upstream; counted while streaming, larger → 413. */
  readonly maxRequestBodyBytes: number;
  /** Largest response body relayed to the agent; counted while streaming, larger → abort. */
  readonly maxResponseBodyBytes: number;
  /** Largest request head (request line plus headers); larger → 431. */
  readonly maxHeaderBytes: number;
  /** Time allowed for a client to send a complete request head, from connection or the first byte; exceeded → 408. */
  readonly headersTimeoutMs: number;
  /**
   * A keep-alive connection with no request, a blind tunnel, a WebSocket or
   * a pooled upstream connection with no traffic for this long is closed.
   */
  readonly idleTimeoutMs: number;
  /**
   * Longest silence allowed from the upstream socket during an exchange
   * (connecting, before the response head, or between body chunks);
   * exceeded → 504 `ERR_UPSTREAM_TIMEOUT`, or an abort once the response began.
   */
  readonly upstreamTimeoutMs: number;
}

/** What the proxy does with a `CONNECT` that no binding of the agent matches. */
export type EgressMode = 'deny' | 'tunnel';

/**
 * Proxy configuration as given by the composition root. Every field is
 * optional; `resolveProxyOptions` fills in the safe defaults.
 */
export interface ProxyOptions {
  /** `deny` (default): unbound destinations get 403; `tunnel`: a blind TCP pass-through. */
  readonly egress?: EgressMode;
  /** Host patterns (`example.com`, `*.example.com`, optionally `:port`) that may be blind-tunnelled even when `egress` is `deny`. */
  readonly egressAllow?: readonly string[];
  /** Host names or CIDRs whose private/loopback addresses the SSRF guard lets through. */
  readonly allowPrivate?: readonly string[];
  /** Fixed name resolution (for tests and split-horizon setups), checked by the SSRF guard like DNS answers. */
  readonly resolve?: readonly ResolveOverride[];
  /** Extra PEM roots trusted for upstream TLS, in addition to `tls.rootCertificates`. */
  readonly upstreamCa?: readonly string[];
  readonly limits?: Partial<ProxyLimits>;
}

/**
 * What the proxy needs from the rest of Airlock. All lookups are in-memory
 * snapshots, so calling them on every request costs little.
 */
export interface ProxyDeps {
  /**
   * Maps a presented agent key or task token to its principal, or null.
   * Re-called for every request in a tunnel, so revocation is prompt
   * (invariant 4). A task token that verifies but was revoked or has
   * expired throws `AirlockError('ERR_TOKEN_REVOKED' | 'ERR_TOKEN_EXPIRED')`,
   * which the proxy answers with 401 and closes the connection.
   */
  authenticate(key: string): AgentPrincipal | null;
  /** The agent's current bindings. */
  bindings(principal: AgentPrincipal): readonly Binding[];
  /** The real value of a secret. Never logged, never put in an event or error. */
  secretValue(workspaceId: WorkspaceId, secretName: string): Promise<string>;
  /** A TLS server context for a leaf certificate of `host` (`LeafCache.secureContextFor`). */
  leafContext(host: string): Promise<SecureContext>;
  /** Sealed placeholders (`airlock run`); absent, every placeholder is refused. */
  readonly placeholders?: PlaceholderDeps;
  clock: Clock;
  options: ProxyOptions;
  /** The `airlock.internal` endpoints; absent, that host answers 404. */
  internal?: InternalEndpoints;
  /**
   * Awaited once a request is authorised and its credential is ready, before
   * anything is sent upstream: the audit record of the injection is durable
   * before the credential leaves (invariant 5). Resolves with an id that the
   * request's `airlock:proxy:request` event then carries as `auditId`. A
   * rejection refuses the request, which is never forwarded (fail closed).
   */
  readonly beforeForward?: (event: ProxyForwardEvent) => Promise<string | null>;
}

/** A running (or not yet listening) proxy. */
export interface ProxyServer {
  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(host: string, port: number): Promise<{ host: string; port: number }>;
  /**
   * Also serves the proxy on a Unix socket (mode 0600), for sandboxed agents
   * that reach it through a bridge (`airlock run`, docs/isolation.md).
   */
  listenUnix(path: string): Promise<void>;
  /** Stops listening and closes every open connection and tunnel, and the upstream pools. */
  close(): Promise<void>;
}

/** What an event says of the task token a request ran under: ids and the delegation chain. */
export interface EventTask {
  readonly taskId: string;
  /** The token id (`jti`), never the token. */
  readonly jti: string;
  /** The `act` chain, most recent actor first, the originating user last. */
  readonly chain: readonly string[];
}

/** The fields every proxy event carries. Never a secret value, key or query value. */
interface ProxyEventBase {
  readonly agentId: AgentId | null;
  readonly agentName: string | null;
  readonly workspaceId: WorkspaceId | null;
  /** The task token the request ran under (never the token itself), or null for an agent key. */
  readonly task: EventTask | null;
  /** Service (binding) name, when one was selected. */
  readonly service: string | null;
  /** Name of the injected (or refused) secret, when a binding was selected. */
  readonly secretName: string | null;
  /** `https` for `CONNECT` tunnels, `http` for absolute-form requests. */
  readonly scheme: 'https' | 'http';
  readonly host: string;
  readonly port: number;
  /** `CONNECT` for refusals at the tunnel, else the request method. */
  readonly method: string;
  /** Normalised path without the query, or null when there is none (`CONNECT`). */
  readonly path: string | null;
  /** Names of the query parameters, in order; values are never reported. */
  readonly queryNames: readonly string[];
  readonly durationMs: number;
}

/**
 * Published on `airlock:proxy:request` for each request that was forwarded
 * with a credential, once it has finished (or failed upstream).
 */
export interface ProxyRequestEvent extends ProxyEventBase {
  readonly service: string;
  readonly secretName: string;
  /** Upstream status, or null when the upstream never answered. */
  readonly status: number | null;
  /** Request body bytes sent upstream. */
  readonly bytesIn: number;
  /** Response body bytes relayed back to the agent. */
  readonly bytesOut: number;
  /** Set when the exchange failed after the credential was injected (unreachable, TLS, timeout, too large). */
  readonly error: ErrorCode | null;
  /** True for a WebSocket upgrade; byte counts then cover only the handshake. */
  readonly upgrade: boolean;
  /** The id `beforeForward` returned for this request's record, when it was given one. */
  readonly auditId?: string | null;
}

/** What is known of an authorised request just before its credential is sent upstream. */
export type ProxyForwardEvent = Omit<
  ProxyRequestEvent,
  'status' | 'bytesIn' | 'bytesOut' | 'error' | 'auditId'
>;

/** Published on `airlock:proxy:denied` for each refusal; nothing was forwarded with a credential. */
export interface ProxyDeniedEvent extends ProxyEventBase {
  readonly code: ErrorCode;
  /** HTTP status sent to the agent, or null when the connection was closed without one (SNI mismatch). */
  readonly status: number | null;
}
