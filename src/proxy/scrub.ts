import { Transform, type TransformCallback } from 'node:stream';
import { Needle } from './needle.ts';

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
  /** Each rule's `find`, ready to search for (same order as `rules`). */
  readonly needles: readonly Needle[];
  /** Longest `find`: the most a streaming scrubber ever holds back, less one. */
  readonly maxLength: number;
  /** Byte → true when some rule starts with it (cheap test before a prefix compare). */
  readonly #firstBytes = new Uint8Array(256);

  constructor(rules: readonly ScrubRule[]) {
    this.rules = rules
      .filter((r) => r.find.length > 0)
      .sort((a, b) => b.find.length - a.find.length);
    this.needles = this.rules.map((r) => new Needle(r.find));
    this.maxLength = this.rules.reduce((m, r) => Math.max(m, r.find.length), 0);
    for (const r of this.rules) this.#firstBytes[r.find[0] ?? 0] = 1;
  }

  /** True when there is nothing to scrub. */
  get empty(): boolean {
    return this.rules.length === 0;
  }

  /**
   * True when a match may start somewhere in `held` (the tail a scrubber
   * kept) now that `next` follows it, or `next` is too short to tell. Only
   * the first {@link maxLength} bytes of `next` are looked at.
   */
  mayStartIn(held: Buffer, next: Buffer): boolean {
    const probe = Buffer.concat([held, next.subarray(0, this.maxLength)]);
    for (let at = 0; at < held.length; at++) if (this.mayMatchAt(probe, at)) return true;
    return false;
  }

  /**
   * True when some rule matches at `at`, or `data[at..]` is a prefix of
   * one: a match may start there once more bytes are known.
   */
  mayMatchAt(data: Buffer, at: number): boolean {
    if (this.#firstBytes[data[at] ?? 0] !== 1) return false;
    const rest = data.length - at;
    // Byte by byte in JS: a call into `Buffer.compare` per rule and position
    // cost more than the comparison (a body of one repeated byte that starts
    // a rule made it most of a download's time). Written out rather than
    // through `sameBytes` (needle.ts): on this, the hottest loop of a
    // download, the call measured slower (a 32 MiB run of one byte, four
    // alternating runs).
    for (const r of this.rules) {
      const find = r.find;
      const n = Math.min(rest, find.length);
      let i = 0;
      while (i < n && data[at + i] === find[i]) i++;
      if (i === n) return true;
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
    return join(this.writeParts(chunk));
  }

  /**
   * As {@link write}, in pieces, so that nothing is copied to join them:
   * what was held goes out as it is when no match can start in it, and the
   * chunk is scanned alone (a long body whose every chunk ends in a byte
   * that starts a rule would otherwise be copied chunk by chunk).
   */
  writeParts(chunk: Buffer): Buffer[] {
    if (chunk.length === 0) return [];
    const held = this.#held;
    this.#held = EMPTY;
    if (held.length === 0) return this.#scan(chunk, false);
    if (this.#rules.mayStartIn(held, chunk)) return this.#scan(Buffer.concat([held, chunk]), false);
    const rest = this.#scan(chunk, false);
    rest.unshift(held);
    return rest;
  }

  /** The rest: the stream ended, so what was held can no longer match. */
  end(): Buffer {
    const data = this.#held;
    this.#held = EMPTY;
    return data.length === 0 ? EMPTY : join(this.#scan(data, true));
  }

  #scan(data: Buffer, final: boolean): Buffer[] {
    const { rules, needles, maxLength } = this.#rules;
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
          at = (needles[i] as Needle).indexIn(data, pos);
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
    if (release > pos) parts.push(data.subarray(pos, release));
    return parts;
  }
}

function join(parts: readonly Buffer[]): Buffer {
  if (parts.length === 0) return EMPTY;
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
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
      for (const part of scrubber.writeParts(chunk)) this.push(part);
      cb();
    },
    flush(cb: TransformCallback) {
      const out = scrubber.end();
      cb(null, out.length === 0 ? undefined : out);
    },
  });
}
