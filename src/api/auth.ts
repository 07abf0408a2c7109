import type { IncomingMessage } from 'node:http';
import type { ApiKeyId, WorkspaceId } from '../core/index.ts';
import { AirlockError } from '../core/index.ts';
import { sha256Hex } from '../crypto/index.ts';
import type { Role, Store } from '../store/index.ts';

/** Who is calling the admin API. */
export interface AdminPrincipal {
  readonly role: Role;
  readonly workspaceId: WorkspaceId;
  /** The API key used, or null for the owner on the local socket. */
  readonly keyId: ApiKeyId | null;
}

/** What a route needs permission to do. */
export type Action =
  | 'status:read'
  | 'secret:read'
  | 'secret:write'
  | 'apikey:read'
  | 'apikey:write'
  | 'agent:read'
  | 'agent:write'
  | 'service:read'
  | 'service:write'
  | 'grant:read'
  | 'grant:write'
  | 'ca:read'
  | 'ca:write'
  | 'provider:write'
  | 'audit:read'
  /** Prune the audit trail: owner and admin only. */
  | 'audit:write'
  /** Start tasks, exchange and revoke task tokens: owner, admin and operator. */
  | 'token:write'
  /** Rotate the token-signing key: owner and admin only. */
  | 'signing-key:write';

const READ_METADATA: readonly Action[] = [
  'status:read',
  'secret:read',
  'agent:read',
  'service:read',
  'grant:read',
  'ca:read',
];

/** What `owner` and `admin` may do: everything. */
const ADMINISTER: readonly Action[] = [
  ...READ_METADATA,
  'secret:write',
  'apikey:read',
  'apikey:write',
  'agent:write',
  'service:write',
  'grant:write',
  'ca:write',
  'audit:read',
  'audit:write',
  'token:write',
  'signing-key:write',
];

/**
 * The role table (DESIGN, "Principals and tokens"), as data: `operator`
 * manages agents, services and grants but never secret values; `auditor`
 * reads metadata and the audit log and changes nothing.
 */
const PERMISSIONS: Readonly<Record<Role, ReadonlySet<Action>>> = {
  // An exec provider runs a program as the server's user: only the owner declares one.
  owner: new Set<Action>([...ADMINISTER, 'provider:write']),
  admin: new Set<Action>(ADMINISTER),
  operator: new Set<Action>([
    ...READ_METADATA,
    'agent:write',
    'service:write',
    'grant:write',
    'token:write',
  ]),
  auditor: new Set<Action>([...READ_METADATA, 'audit:read']),
};

/** Throws `ERR_FORBIDDEN` unless the principal's role allows `action`. */
export function authorize(principal: AdminPrincipal, action: Action): void {
  if (!PERMISSIONS[principal.role].has(action)) {
    throw new AirlockError('ERR_FORBIDDEN', `the ${principal.role} role may not ${action}`);
  }
}

/**
 * Resolves the caller from `Authorization: Bearer <api key>`. Every failure
 * (missing, malformed, unknown, revoked) is the same `ERR_UNAUTHENTICATED`.
 */
export async function authenticate(req: IncomingMessage, store: Store): Promise<AdminPrincipal> {
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer ([A-Za-z0-9_]{16,200})$/.exec(header);
  const key = match?.[1];
  if (key !== undefined) {
    const record = await store.getApiKeyByHash(sha256Hex(key));
    if (record !== null && record.revokedAt === null) {
      return { role: record.role, workspaceId: record.workspaceId, keyId: record.id };
    }
  }
  throw new AirlockError(
    'ERR_UNAUTHENTICATED',
    'a valid API key is required (Authorization: Bearer …)',
  );
}
