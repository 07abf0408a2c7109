import { generateKeyPair } from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { Clock } from '../core/index.ts';
import type { CaMaterial } from './ca.ts';
import { type LeafHost, parseLeafHost } from './host.ts';
import { type Issuer, prepareIssuer } from './issuer.ts';
import {
  checkLeafTiming,
  LEAF_KEY_OPTIONS,
  type LeafKeyPair,
  MAX_LEAF_LIFETIME_MS,
  signLeaf,
} from './leaf.ts';

/** Options for {@link LeafCache}. */
export interface LeafCacheOptions {
  /**
   * The CA to issue under, or a function returning the current one. The
   * function is called on every lookup, so a rotation takes effect on the
   * next new tunnel; it must be cheap (return a held value).
   */
  readonly ca: CaMaterial | (() => CaMaterial);
  readonly clock: Clock;
  /** Most hosts kept; the least recently used goes first. Default 1000. */
  readonly maxEntries?: number;
  /** Validity span of each leaf, at most 7 days (the default). */
  readonly lifetimeMs?: number;
}

interface Entry {
  readonly fingerprint256: string;
  readonly notAfter: number;
  readonly context: SecureContext;
}

const DAY = 24 * 3_600_000;

/**
 * Leaf certificates for the intercepting proxy, kept only in memory.
 *
 * `secureContextFor(host)` returns a `tls.SecureContext` holding the leaf
 * and its key (the leaf alone: clients trust the CA directly), ready for an
 * `SNICallback`. A hit costs one map lookup. Concurrent first requests for a
 * host share one issuance. A leaf is issued again when it is within a day
 * (or half its lifetime, if shorter) of notAfter, and every leaf is dropped
 * when the CA changes. Above `maxEntries` the least recently used host is
 * evicted. Leaf keys are generated on the thread pool so issuance does not
 * stall other tunnels.
 */
export class LeafCache {
  readonly #source: () => CaMaterial;
  readonly #clock: Clock;
  readonly #maxEntries: number;
  readonly #lifetimeMs: number;
  readonly #renewBeforeMs: number;
  /** Map iteration order is insertion order, so re-inserting on a hit keeps LRU order. */
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<SecureContext>>();
  #issuer: Issuer | undefined;
  #issuerSource: CaMaterial | undefined;
  #issued = 0;

  constructor(options: LeafCacheOptions) {
    const { ca, clock, maxEntries = 1000, lifetimeMs = MAX_LEAF_LIFETIME_MS } = options;
    if (typeof ca !== 'function' && (typeof ca !== 'object' || ca === null)) {
      throw new TypeError('ca must be CaMaterial or a function returning it');
    }
    if (typeof clock?.now !== 'function') throw new TypeError('clock must be a Clock');
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new TypeError('maxEntries must be a positive integer');
    }
    checkLeafTiming(0, lifetimeMs);
    this.#source = typeof ca === 'function' ? ca : () => ca;
    this.#clock = clock;
    this.#maxEntries = maxEntries;
    this.#lifetimeMs = lifetimeMs;
    this.#renewBeforeMs = Math.min(DAY, lifetimeMs / 2);
  }

  /** How many leaf certificates this cache has issued since it was built (a metric). */
  get issuedCount(): number {
    return this.#issued;
  }

  /** How many hosts currently have a cached leaf (a metric). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The TLS context for `host`, issuing a leaf if none is cached or the
   * cached one is stale. Rejects with `TypeError` for a host that is not a
   * lower-case DNS name or IP literal, and with `ERR_CA_INVALID` or
   * `ERR_CA_EXPIRED` when the CA cannot issue.
   */
  secureContextFor(host: string): Promise<SecureContext> {
    let parsed: LeafHost;
    let issuer: Issuer;
    try {
      parsed = parseLeafHost(host);
      issuer = this.#currentIssuer();
    } catch (err) {
      return Promise.reject(err);
    }
    const now = this.#clock.now();
    const hit = this.#entries.get(parsed.name);
    if (
      hit !== undefined &&
      hit.fingerprint256 === issuer.fingerprint256 &&
      now < hit.notAfter - this.#renewBeforeMs
    ) {
      this.#entries.delete(parsed.name);
      this.#entries.set(parsed.name, hit);
      return Promise.resolve(hit.context);
    }
    const key = `${issuer.fingerprint256} ${parsed.name}`;
    const pending = this.#inflight.get(key);
    if (pending !== undefined) return pending;
    const issuing = this.#issue(issuer, parsed, now).finally(() => {
      this.#inflight.delete(key);
    });
    this.#inflight.set(key, issuing);
    return issuing;
  }

  async #issue(issuer: Issuer, host: LeafHost, now: number): Promise<SecureContext> {
    const keys = await generateLeafKeys();
    const leaf = signLeaf(issuer, host, now, this.#lifetimeMs, keys);
    const context = createSecureContext({ cert: leaf.certPem, key: leaf.keyPem });
    this.#issued++;
    this.#entries.delete(host.name);
    this.#entries.set(host.name, {
      fingerprint256: issuer.fingerprint256,
      notAfter: leaf.notAfter,
      context,
    });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
    return context;
  }

  /** The prepared issuer for the CA the source returns now; a new CA drops every leaf. */
  #currentIssuer(): Issuer {
    const ca = this.#source();
    const current = this.#issuer;
    if (current !== undefined && ca === this.#issuerSource) return current;
    if (current !== undefined && ca.fingerprint256 === current.fingerprint256) {
      this.#issuerSource = ca;
      return current;
    }
    const next = prepareIssuer(ca);
    this.#issuer = next;
    this.#issuerSource = ca;
    this.#entries.clear();
    return next;
  }
}

function generateLeafKeys(): Promise<LeafKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair('ec', LEAF_KEY_OPTIONS, (err, spki, keyPem) => {
      if (err) reject(err);
      else resolve({ spki, keyPem });
    });
  });
}
