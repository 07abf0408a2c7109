/**
 * A byte string to search for, with where its search anchors.
 *
 * `Buffer.indexOf` finds a needle by its first byte and then compares, so a
 * text that is mostly that byte makes nearly every position a false start:
 * `alk_ph_` in a body of `a`s is searched at about 170 MiB/s, against over
 * 10 GiB/s for a needle whose first byte the text lacks (`bench/ANALYSIS.md`).
 * So the search starts at the needle's first byte that differs from its
 * first (`lk_ph_` for `alk_ph_`), and the bytes before it are compared at
 * each hit. A text made of that other byte is still slow, but no worse than
 * before, and a run of one byte repeated is the common degenerate body.
 */
export class Needle {
  readonly #bytes: Buffer;
  /** Offset in `bytes` where the searched part starts (0 when every byte is the same). */
  readonly #anchorAt: number;
  readonly #anchor: Buffer;

  constructor(bytes: Buffer) {
    this.#bytes = bytes;
    let k = 1;
    while (k < bytes.length && bytes[k] === bytes[0]) k++;
    this.#anchorAt = k < bytes.length ? k : 0;
    this.#anchor = bytes.subarray(this.#anchorAt);
  }

  /** The first occurrence of the needle in `data` at or after `from`, or -1. */
  indexIn(data: Buffer, from: number): number {
    const k = this.#anchorAt;
    const bytes = this.#bytes;
    if (k === 0) return data.indexOf(bytes, from);
    let anchor = from + k;
    for (;;) {
      anchor = data.indexOf(this.#anchor, anchor);
      if (anchor < 0) return -1;
      const at = anchor - k;
      if (sameBytes(data, at, bytes, 0, k)) return at;
      anchor++;
    }
  }
}

/**
 * True when the `n` bytes of `a` from `aAt` equal those of `b` from `bAt`.
 * Compared in JS: for the few bytes of a needle, a call into
 * `Buffer.compare` costs more than the comparison. Callers keep both
 * ranges inside their buffers.
 */
export function sameBytes(a: Buffer, aAt: number, b: Buffer, bAt: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}
