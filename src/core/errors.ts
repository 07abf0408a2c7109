/**
 * Every error Airlock raises on purpose carries one of these stable codes.
 * Callers `switch` on `code`; the API and proxy turn it into
 * `{ "error": { "code", "message" } }`, the CLI into one line on stderr.
 */
export type ErrorCode =
  // input and routing
  | 'ERR_BAD_REQUEST'
  | 'ERR_INVALID_NAME'
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_VALUE_TOO_LARGE'
  | 'ERR_MALFORMED_JSON'
  | 'ERR_NOT_FOUND'
  | 'ERR_ROUTE_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_CONFLICT'
  | 'ERR_PAYLOAD_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  // admin principals
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_FORBIDDEN'
  // keys and crypto
  | 'ERR_ROOT_KEY'
  | 'ERR_INSECURE_KEY_FILE'
  | 'ERR_DECRYPT'
  | 'ERR_HOME_EXISTS'
  | 'ERR_HOME_MISSING'
  | 'ERR_CONFIG'
  | 'ERR_STORE'
  // CLI and server lifecycle
  | 'ERR_SECRET_ON_ARGV'
  | 'ERR_SERVER_UNREACHABLE'
  | 'ERR_ADDRESS_IN_USE'
  | 'ERR_INTERNAL'
  // proxy
  | 'ERR_PROXY_AUTH_REQUIRED'
  | 'ERR_DESTINATION_DENIED'
  | 'ERR_SCOPE_DENIED'
  | 'ERR_PRIVATE_ADDRESS'
  | 'ERR_HOST_MISMATCH'
  | 'ERR_SNI_MISMATCH'
  | 'ERR_UPSTREAM_UNREACHABLE'
  | 'ERR_UPSTREAM_TLS'
  | 'ERR_UPSTREAM_TIMEOUT'
  | 'ERR_HEADERS_TOO_LARGE'
  | 'ERR_AGENT_REVOKED'
  | 'ERR_REQUEST_TIMEOUT'
  | 'ERR_UPSTREAM_RESPONSE_TOO_LARGE'
  // sealed placeholders, response scrubbing and `airlock run`
  | 'ERR_PLACEHOLDER_DESTINATION'
  | 'ERR_UPSTREAM_ENCODING'
  | 'ERR_COMMAND_FAILED'
  | 'ERR_ISOLATION_UNAVAILABLE'
  // certificate authority
  | 'ERR_CA_INVALID'
  | 'ERR_CA_EXPIRED'
  // task tokens, delegation and revocation
  | 'ERR_INVALID_SCOPE'
  | 'ERR_SCOPE_EXCEEDS_GRANT'
  | 'ERR_SCOPE_EXCEEDS_PARENT'
  | 'ERR_TOKEN_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_DELEGATION_TOO_DEEP'
  | 'ERR_UNSUPPORTED_GRANT_TYPE'
  // audit trail
  | 'ERR_AUDIT_CHAIN_BROKEN'
  | 'ERR_AUDIT_REFUSED'
  | 'ERR_AUDIT_UNAVAILABLE'
  // secret sources, snapshot and config as code
  | 'ERR_INSECURE_FILE'
  | 'ERR_SECRET_UNAVAILABLE'
  | 'ERR_PROVIDER_UNKNOWN'
  | 'ERR_PROVIDER_NOT_FOUND'
  | 'ERR_PROVIDER_FAILED'
  | 'ERR_PROVIDER_TIMEOUT'
  | 'ERR_PROVIDER_PROTOCOL'
  | 'ERR_DOTENVX_KEY_MISSING'
  | 'ERR_DOTENVX_DECRYPT'
  | 'ERR_DOTENVX_FORMAT'
  | 'ERR_APPLY_INVALID';

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'ERR_BAD_REQUEST',
  'ERR_INVALID_NAME',
  'ERR_INVALID_ARGUMENT',
  'ERR_VALUE_TOO_LARGE',
  'ERR_MALFORMED_JSON',
  'ERR_NOT_FOUND',
  'ERR_ROUTE_NOT_FOUND',
  'ERR_METHOD_NOT_ALLOWED',
  'ERR_CONFLICT',
  'ERR_PAYLOAD_TOO_LARGE',
  'ERR_UNSUPPORTED_MEDIA_TYPE',
  'ERR_UNAUTHENTICATED',
  'ERR_FORBIDDEN',
  'ERR_ROOT_KEY',
  'ERR_INSECURE_KEY_FILE',
  'ERR_DECRYPT',
  'ERR_HOME_EXISTS',
  'ERR_HOME_MISSING',
  'ERR_CONFIG',
  'ERR_STORE',
  'ERR_SECRET_ON_ARGV',
  'ERR_SERVER_UNREACHABLE',
  'ERR_ADDRESS_IN_USE',
  'ERR_INTERNAL',
  'ERR_PROXY_AUTH_REQUIRED',
  'ERR_DESTINATION_DENIED',
  'ERR_SCOPE_DENIED',
  'ERR_PRIVATE_ADDRESS',
  'ERR_HOST_MISMATCH',
  'ERR_SNI_MISMATCH',
  'ERR_UPSTREAM_UNREACHABLE',
  'ERR_UPSTREAM_TLS',
  'ERR_UPSTREAM_TIMEOUT',
  'ERR_HEADERS_TOO_LARGE',
  'ERR_AGENT_REVOKED',
  'ERR_REQUEST_TIMEOUT',
  'ERR_UPSTREAM_RESPONSE_TOO_LARGE',
  'ERR_PLACEHOLDER_DESTINATION',
  'ERR_UPSTREAM_ENCODING',
  'ERR_COMMAND_FAILED',
  'ERR_ISOLATION_UNAVAILABLE',
  'ERR_CA_INVALID',
  'ERR_CA_EXPIRED',
  'ERR_INVALID_SCOPE',
  'ERR_SCOPE_EXCEEDS_GRANT',
  'ERR_SCOPE_EXCEEDS_PARENT',
  'ERR_TOKEN_INVALID',
  'ERR_TOKEN_EXPIRED',
  'ERR_TOKEN_REVOKED',
  'ERR_DELEGATION_TOO_DEEP',
  'ERR_UNSUPPORTED_GRANT_TYPE',
  'ERR_AUDIT_CHAIN_BROKEN',
  'ERR_AUDIT_REFUSED',
  'ERR_AUDIT_UNAVAILABLE',
  'ERR_INSECURE_FILE',
  'ERR_SECRET_UNAVAILABLE',
  'ERR_PROVIDER_UNKNOWN',
  'ERR_PROVIDER_NOT_FOUND',
  'ERR_PROVIDER_FAILED',
  'ERR_PROVIDER_TIMEOUT',
  'ERR_PROVIDER_PROTOCOL',
  'ERR_DOTENVX_KEY_MISSING',
  'ERR_DOTENVX_DECRYPT',
  'ERR_DOTENVX_FORMAT',
  'ERR_APPLY_INVALID',
]);

/** True when `value` is one of Airlock's stable error codes (for parsing API error bodies). */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODES.has(value);
}

/**
 * The one error type Airlock throws for hostile or bad input and for refusals.
 * Caller bugs throw `TypeError` instead. The message must never contain a
 * secret value, a token or URL credentials: it reaches logs, the CLI and HTTP
 * bodies as-is.
 */
export class AirlockError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AirlockError';
    this.code = code;
  }
}

/** True when `err` is an `AirlockError`, optionally with the given code. */
export function isAirlockError(err: unknown, code?: ErrorCode): err is AirlockError {
  return err instanceof AirlockError && (code === undefined || err.code === code);
}
