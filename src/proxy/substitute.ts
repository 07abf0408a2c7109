import { Needle, sameBytes } from './needle.ts';
import {
  isPlaceholderChar,
  PLACEHOLDER_MAX_RANDOM,
  PLACEHOLDER_MIN_RANDOM,
  PLACEHOLDER_PREFIX,
} from './placeholder.ts';

/** A piece of a body: bytes to pass on as they are, or a placeholder to resolve. */
export type BodySegment =
  | { readonly kind: 'bytes'; readonly bytes: Buffer }
  | { readonly kind: 'placeholder'; readonly placeholder: string };

const PREFIX = Buffer.from(PLACEHOLDER_PREFIX, 'latin1');
const PREFIX_NEEDLE = new Needle(PREFIX);
const EMPTY = Buffer.alloc(0);

/**
 * True when `chunk` starts with what follows the first `held` bytes of
 * `PREFIX` (or with a start of it, when `chunk` is shorter). A held tail
 * shorter than the prefix is always `PREFIX[0, held)`, and no prefix can
 * start later inside it, since `alk_ph_` has no proper suffix that is also
 * a prefix of it.
 */
function continuesPrefix(held: number, chunk: Buffer): boolean {
  return sameBytes(chunk, 0, PREFIX, held, Math.min(PREFIX.length - held, chunk.length));
}

/** Length of the longest proper prefix of `PREFIX` that `data` ends with, at or after `floor`. */
function partialPrefixAtEnd(data: Buffer, floor: number): number {
  for (let k = Math.min(PREFIX.length - 1, data.length - floor); k > 0; k--) {
    if (data.compare(PREFIX, 0, k, data.length - k) === 0) return k;
  }
  return 0;
}

/**
 * Splits a body into bytes and placeholders as it streams, with the same
 * answer for any split into chunks as for the whole body at once (the
 * property `substitute.test.ts` checks). Placeholders are found by maximal
 * munch (`placeholder.ts`); the bytes are scanned as they are, since the
 * placeholder alphabet is ASCII and UTF-8 never uses ASCII bytes inside a
 * multi-byte character.
 *
 * Look-behind is bounded: only a tail that may still become a placeholder is
 * held back, at most `PLACEHOLDER_MAX_LENGTH + 1` bytes; everything before it
 * is released at once, so a stream is never delayed by more than that.
 */
export class PlaceholderSplitter {
  #held: Buffer = EMPTY;

  /** Segments decided by `chunk` (and what was held before it). */
  write(chunk: Buffer): BodySegment[] {
    if (chunk.length === 0) return [];
    const held = this.#held;
    this.#held = EMPTY;
    if (held.length === 0) return this.#scan(chunk, false);
    if (held.length < PREFIX.length && !continuesPrefix(held.length, chunk)) {
      // What was held is a start of the prefix that `chunk` does not go on
      // with: it is text, and the chunk is scanned alone (no copy to join them).
      const rest = this.#scan(chunk, false);
      rest.unshift({ kind: 'bytes', bytes: held });
      return rest;
    }
    return this.#scan(Buffer.concat([held, chunk]), false);
  }

  /** The segments still held: the body has ended, so nothing more can complete them. */
  end(): BodySegment[] {
    const data = this.#held;
    this.#held = EMPTY;
    return data.length === 0 ? [] : this.#scan(data, true);
  }

  #scan(data: Buffer, final: boolean): BodySegment[] {
    const out: BodySegment[] = [];
    let copied = 0;
    let from = 0;
    for (;;) {
      const at = PREFIX_NEEDLE.indexIn(data, from);
      if (at < 0) break;
      const start = at + PREFIX.length;
      let end = start;
      while (end < data.length && end - start <= PLACEHOLDER_MAX_RANDOM) {
        if (!isPlaceholderChar(data[end] ?? 0)) break;
        end++;
      }
      const run = end - start;
      if (!final && end === data.length && run <= PLACEHOLDER_MAX_RANDOM) {
        // The run may go on in the next chunk: hold from the prefix.
        pushBytes(out, data, copied, at);
        this.#held = Buffer.from(data.subarray(at));
        return out;
      }
      if (run >= PLACEHOLDER_MIN_RANDOM && run <= PLACEHOLDER_MAX_RANDOM) {
        pushBytes(out, data, copied, at);
        out.push({ kind: 'placeholder', placeholder: data.toString('latin1', at, end) });
        copied = end;
        from = end;
      } else {
        // The prefix cannot overlap itself or an alphabet run.
        from = start;
      }
    }
    const keep = final ? 0 : partialPrefixAtEnd(data, copied);
    pushBytes(out, data, copied, data.length - keep);
    if (keep > 0) this.#held = Buffer.from(data.subarray(data.length - keep));
    return out;
  }
}

function pushBytes(out: BodySegment[], data: Buffer, from: number, to: number): void {
  if (to > from) out.push({ kind: 'bytes', bytes: data.subarray(from, to) });
}

/** The segments of a whole body: what a {@link PlaceholderSplitter} yields for it in one chunk. */
export function splitPlaceholders(body: Buffer): BodySegment[] {
  const splitter = new PlaceholderSplitter();
  return [...splitter.write(body), ...splitter.end()];
}

/** The distinct placeholders among `segments`, in order of first appearance. */
export function placeholdersIn(segments: readonly BodySegment[]): string[] {
  const seen = new Set<string>();
  for (const s of segments) if (s.kind === 'placeholder') seen.add(s.placeholder);
  return [...seen];
}

/**
 * Joins segments back into bytes, each placeholder replaced by
 * `replace(placeholder)` (already escaped for the body's encoding).
 */
export function joinSegments(
  segments: readonly BodySegment[],
  replace: (placeholder: string) => Buffer,
): Buffer {
  const parts: Buffer[] = [];
  for (const s of segments) parts.push(s.kind === 'bytes' ? s.bytes : replace(s.placeholder));
  return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
}
