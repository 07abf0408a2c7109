import type { RevokedToken } from '../store/index.ts';

/**
 * The in-memory revocation set the request path checks (invariant 4,
 * "revocation is prompt"): every revocation is pushed in as the store
 * commits it, so no request reads the store. Each id is kept only until the
 * token it names would have expired anyway (after that the expiry check
 * refuses it), so the set never grows without bound.
 */
export class RevocationSet {
  readonly #revoked = new Map<string, number>();
  #nextExpiry = Number.POSITIVE_INFINITY;

  /** Adds revoked tokens (their `jti` and expiry in ms). Idempotent. */
  add(tokens: readonly RevokedToken[]): void {
    for (const t of tokens) {
      const known = this.#revoked.get(t.jti);
      this.#revoked.set(t.jti, Math.max(known ?? 0, t.expiresAt));
      if (t.expiresAt < this.#nextExpiry) this.#nextExpiry = t.expiresAt;
    }
  }

  /** Prunes when the earliest entry has expired: cheap to call on every request. */
  sweep(now: number): void {
    if (now >= this.#nextExpiry) this.prune(now);
  }

  /** True when `jti` or any ancestor in `anc` is revoked. */
  isRevoked(jti: string, anc: readonly string[], now: number): boolean {
    this.sweep(now);
    if (this.#revoked.has(jti)) return true;
    for (const a of anc) if (this.#revoked.has(a)) return true;
    return false;
  }

  /** Drops every id whose token has expired at `now`. */
  prune(now: number): void {
    let next = Number.POSITIVE_INFINITY;
    for (const [jti, exp] of this.#revoked) {
      if (exp <= now) this.#revoked.delete(jti);
      else if (exp < next) next = exp;
    }
    this.#nextExpiry = next;
  }

  /** How many ids are held (for metrics and the pruning test). */
  get size(): number {
    return this.#revoked.size;
  }
}
