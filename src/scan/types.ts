/** What kind of file a finding is in: it decides which rules apply. */
export type FileKind = 'env' | 'profile' | 'json' | 'yaml' | 'ci' | 'other';

/** One plaintext credential found at rest. It never holds the value. */
export interface Finding {
  /** A rule id from `TOKEN_RULES`, `generic-assignment`, `url-credentials` or `airlock-secret`. */
  readonly rule: string;
  readonly title: string;
  readonly severity: 'error' | 'warning';
  readonly path: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** The line with every credential on it masked, trimmed to at most 160 characters. */
  readonly excerpt: string;
  /** The Airlock secret whose value this is, for `airlock-secret` findings. */
  readonly secret: string | null;
}

/** A keyed fingerprint of a value Airlock holds (`POST /v1/fingerprints`). */
export interface Fingerprint {
  readonly name: string;
  readonly length: number;
  readonly hmac: string;
}

/** How to compare file contents with the values Airlock holds, without holding them. */
export interface FingerprintSet {
  /** The one-time HMAC key the server hashed under. */
  readonly key: Uint8Array;
  readonly fingerprints: readonly Fingerprint[];
}

/** A reference Airlock holds that does not resolve (or serves a stale value). */
export interface UnresolvedRef {
  readonly name: string;
  readonly ref: string;
  readonly state: string;
  readonly code: string | null;
}

/** The result of one `airlock scan`. */
export interface ScanReport {
  readonly findings: readonly Finding[];
  readonly unresolved: readonly UnresolvedRef[];
  readonly filesScanned: number;
  /** Files skipped: too large, binary or unreadable (path and reason). */
  readonly skipped: readonly { path: string; reason: string }[];
}
