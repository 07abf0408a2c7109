import type { WorkspaceId } from '../core/index.ts';
import { AirlockError, newId } from '../core/index.ts';
import {
  formatScope,
  parseScope,
  requireScopeWithin,
  type Scope,
  scopeFromBindings,
} from '../policy/index.ts';
import type { RevocationTarget, RevokedToken } from '../store/index.ts';
import { type Actor, parseClaims, type TaskClaims, type VerifiedToken } from './claims.ts';
import { invalidToken, signCompact, verifyCompact } from './jws.ts';
import {
  ensureSigningKeys,
  jwks,
  type PublicJwk,
  rotateSigningKeys,
  type SigningKeySet,
  saveSigningKeys,
  verificationKey,
} from './keys.ts';
import { RevocationSet } from './revocations.ts';
import {
  DEFAULT_TOKEN_POLICY,
  type ExchangeRequest,
  type IssuedToken,
  type StartTaskRequest,
  type TaskTokensDeps,
  type TokenPolicy,
} from './types.ts';

/** Clock skew tolerated on `iat` from another instance. */
const SKEW_SECONDS = 60;
/** Tokens whose signature and claims were checked, kept so a tunnel's requests skip Ed25519. */
const MAX_CACHED = 4096;

function assertPolicy(p: TokenPolicy): void {
  for (const [k, v] of Object.entries(p)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new TypeError(`${k} must be a positive integer`);
  }
  if (p.defaultTtlSeconds > p.maxTtlSeconds) throw new TypeError('default TTL exceeds the cap');
}

/**
 * Task tokens: issuance (`task start`), exchange (RFC 8693), verification,
 * revocation (RFC 7009) and the signing keys with their JWKS. Verification
 * is synchronous and reads only memory: the keys, and a revocation set that
 * every revocation is pushed into as it commits.
 */
export class TaskTokens {
  readonly #deps: TaskTokensDeps;
  readonly policy: TokenPolicy;
  readonly #revoked = new RevocationSet();
  /** Exact token text → its checked claims and `kid`; the key is re-checked on every hit. */
  readonly #checked = new Map<string, { kid: string; verified: VerifiedToken }>();
  #keys: SigningKeySet;

  private constructor(deps: TaskTokensDeps, keys: SigningKeySet, policy: TokenPolicy) {
    this.#deps = deps;
    this.#keys = keys;
    this.policy = policy;
  }

  /** Loads (or, for an older home, creates) the signing keys, and the unexpired revocations. */
  static async open(deps: TaskTokensDeps): Promise<TaskTokens> {
    const policy = { ...DEFAULT_TOKEN_POLICY, ...deps.policy };
    assertPolicy(policy);
    const now = deps.clock.now();
    const keys = await deps.store.transaction((tx) => ensureSigningKeys(tx, deps.instanceKey, now));
    const tokens = new TaskTokens(deps, keys, policy);
    tokens.#revoked.add(await deps.store.listRevokedTokens(now));
    return tokens;
  }

  /** The `iss` of every token. */
  get issuer(): string {
    return this.#keys.issuer;
  }

  /** The `aud` of every token: the agents' side of this installation (its proxy and endpoints). */
  get audience(): string {
    return `${this.#keys.issuer}:agents`;
  }

  /** The public keys that verify now, as a JWK Set (RFC 7517 §5, RFC 8037 §2). */
  jwks(): { keys: PublicJwk[] } {
    return jwks(this.#keys, this.#deps.clock.now());
  }

  /**
   * Verifies a task token: the signature (`verifyCompact`), the claims'
   * shape, issuer and audience, the workspace when one is expected, `iat`
   * not in the future and a lifetime within the cap; then expiry
   * (`ERR_TOKEN_EXPIRED`) and revocation of the token or any ancestor
   * (`ERR_TOKEN_REVOKED`), unless `lenient` (RFC 7009 revocation of a token
   * that is already spent). Everything else is `ERR_TOKEN_INVALID`.
   */
  verify(
    token: string,
    opts: { readonly workspaceId?: WorkspaceId; readonly lenient?: boolean } = {},
  ): VerifiedToken {
    const now = this.#deps.clock.now();
    this.#revoked.sweep(now);
    const verified = this.#checkedToken(token, now);
    const c = verified.claims;
    if (opts.workspaceId !== undefined && c.ws !== opts.workspaceId) throw invalidToken();
    if (c.iat * 1000 > now + SKEW_SECONDS * 1000) throw invalidToken();
    if (opts.lenient === true) return verified;
    if (now >= c.exp * 1000) throw new AirlockError('ERR_TOKEN_EXPIRED', 'the token has expired');
    if (this.#revoked.isRevoked(c.jti, c.anc, now)) {
      throw new AirlockError('ERR_TOKEN_REVOKED', 'the token has been revoked');
    }
    return verified;
  }

  /**
   * The signature, shape, issuer, audience and lifetime checks, which do not
   * change with time for the same text, so their result is cached by the
   * exact token; a hit still needs its key to verify now (rotation grace).
   */
  #checkedToken(token: string, now: number): VerifiedToken {
    const hit = this.#checked.get(token);
    if (hit !== undefined && verificationKey(this.#keys, hit.kid, now) !== null) {
      return hit.verified;
    }
    const { kid, payload } = verifyCompact(token, (k) => verificationKey(this.#keys, k, now));
    const verified = parseClaims(payload);
    const c = verified.claims;
    if (c.iss !== this.issuer || c.aud !== this.audience) throw invalidToken();
    if (c.exp <= c.iat || c.exp - c.iat > this.policy.maxTtlSeconds) throw invalidToken();
    if (this.#checked.size >= MAX_CACHED) {
      const oldest = this.#checked.keys().next();
      if (oldest.done !== true) this.#checked.delete(oldest.value);
    }
    this.#checked.set(token, { kid, verified });
    return verified;
  }

  /**
   * Starts a task for `agent` and issues its root token. The scope must lie
   * within the agent's grants (`ERR_SCOPE_EXCEEDS_GRANT`, never clipped);
   * no scope means all of them. The lifetime is cut to the cap.
   */
  async startTask(req: StartTaskRequest): Promise<IssuedToken & { readonly taskId: string }> {
    const now = this.#deps.clock.now();
    const granted = scopeFromBindings(req.agent.bindings, now);
    if (granted.length === 0) {
      throw new AirlockError('ERR_SCOPE_EXCEEDS_GRANT', `agent ${req.agent.name} has no grants`);
    }
    let scope = granted;
    if (req.scope !== null) {
      scope = parseScope(req.scope);
      requireScopeWithin(granted, scope, 'ERR_SCOPE_EXCEEDS_GRANT');
    }
    const iat = Math.floor(now / 1000);
    const ttl = Math.min(
      req.ttlSeconds ?? this.policy.defaultTtlSeconds,
      this.policy.maxTtlSeconds,
    );
    const taskId = newId<string>('task');
    const claims: TaskClaims = {
      iss: this.issuer,
      sub: req.agent.id,
      aud: this.audience,
      iat,
      exp: iat + ttl,
      jti: newId<string>('tok'),
      ws: req.workspaceId,
      task: taskId,
      scope: formatScope(scope),
      act: { sub: `user:${req.onBehalfOf}` },
      anc: [],
    };
    await this.#deps.store.transaction(async (tx) => {
      await tx.createTask({
        id: taskId,
        workspaceId: req.workspaceId,
        agentId: req.agent.id,
        onBehalfOf: req.onBehalfOf,
        scope: claims.scope,
        createdAt: now,
        expiresAt: claims.exp * 1000,
        revokedAt: null,
      });
      await tx.createToken(this.#record(claims, null, now));
    });
    return { ...this.#sign(claims, scope, now), taskId };
  }

  /**
   * Token exchange (RFC 8693 §2.1) from a verified subject token: the new
   * token's scope is the requested one, which must be contained in the
   * subject's (`ERR_SCOPE_EXCEEDS_PARENT`; refused, never clipped) and, for
   * a sub-agent, in its grants (`ERR_SCOPE_EXCEEDS_GRANT`); its `exp` is no
   * later than the subject's; its `act` chain is the subject's with the
   * subject's holder added outermost (§4.1); the depth is capped
   * (`ERR_DELEGATION_TOO_DEEP`). The parent is re-checked inside the write,
   * so a revocation that lands first always wins.
   */
  async exchange(subject: VerifiedToken, req: ExchangeRequest): Promise<IssuedToken> {
    const now = this.#deps.clock.now();
    const parent = subject.claims;
    if (parent.anc.length + 1 > this.policy.maxDepth) {
      throw new AirlockError(
        'ERR_DELEGATION_TOO_DEEP',
        `a delegation chain may be at most ${this.policy.maxDepth} deep`,
      );
    }
    let scope = subject.scope;
    if (req.scope !== null) {
      scope = parseScope(req.scope);
      requireScopeWithin(subject.scope, scope, 'ERR_SCOPE_EXCEEDS_PARENT');
    }
    if (req.actor !== null) {
      requireScopeWithin(
        scopeFromBindings(req.actor.bindings, now),
        scope,
        'ERR_SCOPE_EXCEEDS_GRANT',
      );
    }
    const iat = Math.floor(now / 1000);
    const ttl = Math.min(
      req.ttlSeconds ?? this.policy.defaultTtlSeconds,
      this.policy.maxTtlSeconds,
    );
    const act: Actor = { sub: parent.sub, act: parent.act };
    const claims: TaskClaims = {
      ...parent,
      sub: req.actor?.id ?? parent.sub,
      iat,
      exp: Math.min(parent.exp, iat + ttl),
      jti: newId<string>('tok'),
      scope: formatScope(scope),
      act,
      anc: [...parent.anc, parent.jti],
    };
    await this.#deps.store.transaction(async (tx) => {
      const row = await tx.getToken(parent.ws, parent.jti);
      if (row === null || row.revokedAt !== null) {
        throw new AirlockError('ERR_TOKEN_REVOKED', 'the token has been revoked');
      }
      await tx.createToken(this.#record(claims, row, now));
    });
    return this.#sign(claims, scope, now);
  }

  /**
   * Revokes a token and everything derived from it, a task's tokens, or an
   * agent's tokens and theirs; the store's answer is pushed into memory
   * before this resolves, so the very next request is refused. Returns the
   * tokens reached.
   */
  async revoke(ws: WorkspaceId, target: RevocationTarget): Promise<RevokedToken[]> {
    const reached = await this.#deps.store.revokeTokens(ws, target, this.#deps.clock.now());
    this.#revoked.add(reached);
    return reached;
  }

  /**
   * RFC 7009 §2.1: revokes the token presented as text, with all its
   * descendants. An invalid token, or one of another workspace, is no error
   * (§2.2): there is nothing to revoke and nothing is said about why.
   */
  async revokePresented(ws: WorkspaceId, token: string): Promise<number> {
    let jti: string;
    try {
      jti = this.verify(token, { workspaceId: ws, lenient: true }).claims.jti;
    } catch {
      return 0;
    }
    return (await this.revoke(ws, { kind: 'token', jti })).length;
  }

  /**
   * Adds a new current signing key (`airlock key rotate-signing`); the old
   * one verifies for `maxTtlSeconds` more, so no token it signed stops early.
   * Returns the new key's `kid`.
   */
  async rotateSigningKey(): Promise<string> {
    const now = this.#deps.clock.now();
    const next = rotateSigningKeys(this.#keys, now, this.policy.maxTtlSeconds * 1000);
    await this.#deps.store.transaction((tx) => saveSigningKeys(tx, this.#deps.instanceKey, next));
    this.#keys = next;
    return next.current.kid;
  }

  /** Deletes expired tokens and tasks from the store and from memory. */
  async prune(): Promise<number> {
    const now = this.#deps.clock.now();
    this.#revoked.prune(now);
    return this.#deps.store.pruneTokens(now);
  }

  /** How many revoked ids memory holds (pruned after their expiry). */
  get revokedInMemory(): number {
    return this.#revoked.size;
  }

  #record(c: TaskClaims, parent: { jti: string; depth: number } | null, now: number) {
    return {
      jti: c.jti,
      workspaceId: c.ws,
      taskId: c.task,
      agentId: c.sub,
      parentJti: parent?.jti ?? null,
      depth: parent === null ? 0 : parent.depth + 1,
      scope: c.scope,
      issuedAt: now,
      expiresAt: c.exp * 1000,
      revokedAt: null,
    };
  }

  #sign(claims: TaskClaims, scope: Scope, now: number): IssuedToken {
    const key = this.#keys.current.privateKey;
    if (key === null) throw new AirlockError('ERR_INTERNAL', 'no current signing key');
    const token = signCompact(this.#keys.current.kid, claims, key);
    return { token, claims, scope, expiresIn: Math.max(0, claims.exp - Math.floor(now / 1000)) };
  }
}
