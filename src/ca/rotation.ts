import type { CaMaterial } from './ca.ts';

/**
 * A CA that has been rotated out: it signs nothing any more, so its private
 * key is not kept, but clients keep trusting its certificate until
 * `overlapUntil`, so leaves already handed out stay valid through a rotation.
 */
export interface RetiredCa {
  readonly certPem: string;
  readonly fingerprint256: string;
  readonly notAfter: number;
  /** Milliseconds since the epoch; trusted strictly before this instant. */
  readonly overlapUntil: number;
}

/**
 * The CAs of one install as plain data: the one that issues, and those
 * still trusted during an overlap. Storage is the caller's concern.
 */
export interface CaSet {
  readonly current: CaMaterial;
  /** Most recently retired first. */
  readonly previous: readonly RetiredCa[];
}

/**
 * Makes `next` the issuing CA. The outgoing CA joins `previous` without its
 * private key, trusted until `overlapUntil` (capped at its own notAfter, past
 * which no client would accept it anyway). Pure: returns a new set. Throws
 * `TypeError` when `next` is already the current CA or `overlapUntil` is not
 * a finite time.
 */
export function rotateCa(set: CaSet, next: CaMaterial, overlapUntil: number): CaSet {
  if (!Number.isFinite(overlapUntil)) {
    throw new TypeError('overlapUntil must be a finite number of ms');
  }
  if (next.fingerprint256 === set.current.fingerprint256) {
    throw new TypeError('the new CA is already the current CA');
  }
  const { certPem, fingerprint256, notAfter } = set.current;
  const retired: RetiredCa = {
    certPem,
    fingerprint256,
    notAfter,
    overlapUntil: Math.min(overlapUntil, notAfter),
  };
  return {
    current: next,
    previous: [
      retired,
      ...set.previous.filter(
        (ca) => ca.fingerprint256 !== next.fingerprint256 && ca.fingerprint256 !== fingerprint256,
      ),
    ],
  };
}

/**
 * Drops retired CAs whose overlap has ended by `now`. Pure: returns a new
 * set, or `set` itself when nothing is dropped.
 */
export function pruneCaSet(set: CaSet, now: number): CaSet {
  const previous = set.previous.filter((ca) => now < ca.overlapUntil);
  return previous.length === set.previous.length ? set : { current: set.current, previous };
}

/**
 * The PEM bundle an agent's environment trusts at `now`: the current CA
 * first, then each retired CA whose overlap has not ended, concatenated
 * (one PEM block per certificate).
 */
export function trustBundlePem(set: CaSet, now: number): string {
  const pems = [set.current.certPem, ...pruneCaSet(set, now).previous.map((ca) => ca.certPem)];
  return pems.map((pem) => (pem.endsWith('\n') ? pem : `${pem}\n`)).join('');
}
