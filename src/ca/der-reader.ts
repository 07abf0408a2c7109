import { AirlockError } from '../core/index.ts';

/**
 * One DER element located inside a buffer: its identifier octet and where its
 * whole encoding and its contents start and end. Reading never copies.
 */
export interface Element {
  readonly tag: number;
  /** Offset of the identifier octet. */
  readonly start: number;
  /** Offset of the first content octet. */
  readonly contentStart: number;
  /** Offset just past the last content octet. */
  readonly end: number;
}

function malformed(): AirlockError {
  return new AirlockError('ERR_CA_INVALID', 'the CA certificate is not valid DER');
}

/**
 * Reads the element at `offset`, refusing anything DER forbids or this reader
 * does not need: multi-byte tags, indefinite lengths (X.690 §10.1), and
 * lengths that run past `limit`.
 */
export function readElement(buf: Uint8Array, offset: number, limit = buf.length): Element {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) throw malformed();
  let contentStart = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw malformed();
    length = 0;
    for (let i = 0; i < count; i++) {
      const byte = buf[contentStart + i];
      if (byte === undefined) throw malformed();
      length = length * 256 + byte;
    }
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > limit) throw malformed();
  return { tag, start: offset, contentStart, end };
}

/** The elements directly inside a constructed element, in order. */
export function childrenOf(buf: Uint8Array, parent: Element): Element[] {
  const out: Element[] = [];
  for (let at = parent.contentStart; at < parent.end; ) {
    const child = readElement(buf, at, parent.end);
    out.push(child);
    at = child.end;
  }
  return out;
}

/** The whole encoding (identifier, length and contents) of an element. */
export function encodingOf(buf: Uint8Array, el: Element): Buffer {
  return Buffer.from(buf.subarray(el.start, el.end));
}

/** The content octets of an element. */
export function contentOf(buf: Uint8Array, el: Element): Buffer {
  return Buffer.from(buf.subarray(el.contentStart, el.end));
}
