import { Transform, type TransformCallback } from 'node:stream';

/** One thing to scrub: every occurrence of `find` becomes `replace`. */
export interface ScrubRule {
  readonly find: Buffer;
  readonly replace: Buffer;
}

const EMPTY = Buffer.alloc(0);

/**
 * A compiled set of rules. Matching is leftmost, then longest: at each
 * position the longest rule that starts there wins, and scanning resumes
 * after it. Rules with an empty `find` are dropped.
 */
export class ScrubRules {
  readonly rules: readonly ScrubRule[];
  /** Longest `find`: the most a streaming scrubber ever holds back, less one. */
  readonly maxLength: number;
  /** Byte → true when some rule starts with it (cheap test before a prefix compare). */
  readonly #firstBytes = new Uint8Array(256);

  constructor(rules: readonly ScrubRule[]) {
    this.rules = rules
      .filter((r) => r.find.length > 0)
      .sort((a, b) => b.find.length - a.find.length);
    this.maxLength = this.rules.reduce((m, r) => Math.max(m, r.find.length), 0);
    for (const r of this.rules) this.#firstBytes[r.find[0] ?? 0] = 1;
  }

  /** True when there is nothing to scrub. */
  get empty(): boolean {
    return this.rules.length === 0;
  }

  /**
   * True when some rule matches at `at`, or `data[at..]` is a prefix of
   * one: a match may start there once more bytes are known.
   */
  mayMatchAt(data: Buffer, at: number): boolean {
    if (this.#firstBytes[data[at] ?? 0] !== 1) return false;
    const rest = data.length - at;
    for (const r of this.rules) {
      const n = Math.min(rest, r.find.length);
      if (data.compare(r.find, 0, n, at, at + n) === 0) return true;
    }
    return false;
  }
}

/**
 * Scrubs a stream of bytes: every occurrence of a rule's `find` is replaced
 * by its `replace`, including occurrences split across chunks. The output
 * for any split into chunks equals {@link scrubBuffer} of the whole.
 *
 * Only a tail where a match may still start is held back (less than the
 * longest rule); everything else is released with the
 * chunk that brought it, so a server-sent event is not delayed by the next one.
 */
export class StreamScrubber {
  readonly #rules: ScrubRules;
  #held: Buffer = EMPTY;

  constructor(rules: ScrubRules) {
    this.#rules = rules;
  }

  /** The scrubbed bytes that `chunk` (and what was held before it) decides. */
  write(chunk: Buffer): Buffer {
    if (chunk.length === 0) return EMPTY;
    const data = this.#held.length === 0 ? chunk : Buffer.concat([this.#held, chunk]);
    this.#held = EMPTY;
    return this.#scan(data, false);
  }

  /** The rest: the stream ended, so what was held can no longer match. */
  end(): Buffer {
    const data = this.#held;
    this.#held = EMPTY;
    return data.length === 0 ? EMPTY : this.#scan(data, true);
  }

  #scan(data: Buffer, final: boolean): Buffer {
    const { rules, maxLength } = this.#rules;
    // A match starting before `decided` lies wholly inside `data`.
    const decided = final ? data.length : data.length - maxLength + 1;
    const next: number[] = rules.map(() => -1);
    const parts: Buffer[] = [];
    let pos = 0;
    for (;;) {
      let best = -1;
      let rule: ScrubRule | null = null;
      for (let i = 0; i < rules.length; i++) {
        const r = rules[i] as ScrubRule;
        let at = next[i] as number;
        if (at !== -2 && at < pos) {
          at = data.indexOf(r.find, pos);
          // -2: this rule occurs nowhere further on in `data`.
          next[i] = at < 0 ? -2 : at;
        }
        // Rules are longest first, so on a tie the earlier one is the longest.
        if (at >= 0 && (best < 0 || at < best)) {
          best = at;
          rule = r;
        }
      }
      if (rule === null || best >= decided) break;
      if (best > pos) parts.push(data.subarray(pos, best));
      parts.push(rule.replace);
      pos = best + rule.find.length;
    }
    let release = Math.max(pos, decided);
    if (!final) {
      for (let at = Math.max(pos, decided); at < data.length; at++) {
        if (this.#rules.mayMatchAt(data, at)) break;
        release = at + 1;
      }
    }
    if (release < data.length) this.#held = Buffer.from(data.subarray(release));
    if (pos === 0 && release === data.length) return data;
    if (release > pos) parts.push(data.subarray(pos, release));
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
  }
}

/** `data` with every rule applied, leftmost-longest. */
export function scrubBuffer(rules: ScrubRules, data: Buffer): Buffer {
  if (rules.empty || data.length === 0) return data;
  const s = new StreamScrubber(rules);
  const head = s.write(data);
  const tail = s.end();
  return tail.length === 0 ? head : Buffer.concat([head, tail]);
}

/**
 * A header value scrubbed. Node gives header values as latin1 (one char per
 * byte), so they are matched as the bytes that came on the wire.
 */
export function scrubHeaderValue(rules: ScrubRules, value: string): string {
  if (rules.empty) return value;
  const bytes = Buffer.from(value, 'latin1');
  const out = scrubBuffer(rules, bytes);
  return out === bytes ? value : out.toString('latin1');
}

/** A `Transform` that scrubs what flows through it (a response body on its way to the agent). */
export function scrubStream(rules: ScrubRules): Transform {
  const scrubber = new StreamScrubber(rules);
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      const out = scrubber.write(chunk);
      cb(null, out.length === 0 ? undefined : out);
    },
    flush(cb: TransformCallback) {
      const out = scrubber.end();
      cb(null, out.length === 0 ? undefined : out);
    },
  });
}
