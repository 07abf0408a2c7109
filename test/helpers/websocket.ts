/**
 * A minimal RFC 6455 implementation for tests: enough to echo text frames
 * through the proxy without a WebSocket package.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

/** One frame with FIN set; `mask` for client-to-server frames (§5.3). */
export function encodeFrame(opcode: number, payload: Buffer, mask: boolean): Buffer {
  const len = payload.length;
  const ext = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + (mask ? 4 : 0));
  head[0] = 0x80 | opcode;
  head[1] = (mask ? 0x80 : 0) | (len < 126 ? len : len < 65536 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(len, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!mask) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  key.copy(head, 2 + ext);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] = (body[i] ?? 0) ^ (key[i % 4] ?? 0);
  return Buffer.concat([head, body]);
}

export interface Frame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/** Parses one complete frame at the start of `buf`, or returns null when more bytes are needed. */
function parseFrame(buf: Buffer): { frame: Frame; used: number } | null {
  if (buf.length < 2) return null;
  const b0 = buf[0] ?? 0;
  const b1 = buf[1] ?? 0;
  let len = b1 & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  const masked = (b1 & 0x80) !== 0;
  const keyAt = off;
  if (masked) off += 4;
  if (buf.length < off + len) return null;
  const payload = Buffer.from(buf.subarray(off, off + len));
  if (masked) {
    for (let i = 0; i < payload.length; i++)
      payload[i] = (payload[i] ?? 0) ^ (buf[keyAt + (i % 4)] ?? 0);
  }
  return { frame: { opcode: b0 & 0x0f, payload }, used: off + len };
}

/** Reads frames from a stream in order. */
export class FrameReader {
  #buf: Buffer = Buffer.alloc(0);
  readonly #frames: Frame[] = [];
  readonly #waiters: ((f: Frame | null) => void)[] = [];
  #ended = false;

  constructor(stream: Duplex, initial: Buffer = Buffer.alloc(0)) {
    this.#push(initial);
    stream.on('data', (d: Buffer) => this.#push(d));
    stream.on('close', () => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w(null);
    });
  }

  #push(data: Buffer): void {
    this.#buf = Buffer.concat([this.#buf, data]);
    for (;;) {
      const parsed = parseFrame(this.#buf);
      if (parsed === null) break;
      this.#buf = this.#buf.subarray(parsed.used);
      const waiter = this.#waiters.shift();
      if (waiter) waiter(parsed.frame);
      else this.#frames.push(parsed.frame);
    }
  }

  /** The next frame, or null once the stream closed. */
  next(): Promise<Frame | null> {
    const f = this.#frames.shift();
    if (f) return Promise.resolve(f);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

/** Server side: echoes text and binary frames, answers ping and close. */
export function echoWebSocket(socket: Duplex, head: Buffer): void {
  const reader = new FrameReader(socket, head);
  void (async () => {
    for (;;) {
      const frame = await reader.next();
      if (frame === null) return;
      if (frame.opcode === 0x8) {
        socket.end(encodeFrame(0x8, frame.payload, false));
        return;
      }
      if (frame.opcode === 0x9) socket.write(encodeFrame(0xa, frame.payload, false));
      else socket.write(encodeFrame(frame.opcode, frame.payload, false));
    }
  })();
}
