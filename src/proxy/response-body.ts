import type { IncomingMessage } from 'node:http';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import {
  createBrotliDecompress,
  createGunzip,
  createInflate,
  createZstdDecompress,
} from 'node:zlib';
import { AirlockError, type WorkspaceId } from '../core/index.ts';
import { secretVariants } from './encodings.ts';
import { type ScrubRule, ScrubRules, scrubBuffer, scrubHeaderValue, scrubStream } from './scrub.ts';
import type { AgentPrincipal, ProxyDeps } from './types.ts';

/** Compiled rule sets kept at most; the cache starts over when full. */
const MAX_COMPILED = 1024;

/** What a secret's value becomes in a response when its task's placeholder text is not known here. */
const REDACTED = Buffer.from('[airlock:redacted]');

/**
 * Builds, per request, the rules that scrub every secret the principal can
 * use out of a response (`secretVariants`: raw, JSON, percent, form, base64
 * and base64url forms), each replaced by the task's placeholder for it.
 * The forms of each value, and each principal's compiled rules, are kept
 * until a value (or a placeholder) changes.
 */
export class ScrubCache {
  readonly #forms = new Map<string, { readonly value: string; readonly finds: Buffer[] }>();
  /** Compiled rules by workspace, task and secret names; checked against the current values. */
  readonly #compiled = new Map<string, { readonly facts: string[]; readonly rules: ScrubRules }>();
  readonly #deps: Pick<ProxyDeps, 'bindings' | 'secretValue' | 'placeholders'>;

  constructor(deps: Pick<ProxyDeps, 'bindings' | 'secretValue' | 'placeholders'>) {
    this.#deps = deps;
  }

  #finds(ws: WorkspaceId, name: string, value: string): Buffer[] {
    const key = `${ws}\u0000${name}`;
    const cached = this.#forms.get(key);
    if (cached !== undefined && cached.value === value) return cached.finds;
    const finds = secretVariants(value).map((v) => Buffer.from(v, 'utf8'));
    this.#forms.set(key, { value, finds });
    return finds;
  }

  /**
   * The rules for a principal: one per form of each secret its bindings
   * (narrowed to its task's scope) name. A secret whose value cannot be
   * read now cannot have been injected now either, and is left out.
   */
  async rulesFor(principal: AgentPrincipal): Promise<ScrubRules> {
    const ws = principal.workspaceId;
    const names = [...new Set(this.#deps.bindings(principal).map((b) => b.secretName))].sort();
    const task = principal.task?.taskId ?? null;
    // What the rules depend on: each secret's value and its replacement.
    const facts: string[] = [];
    for (const name of names) {
      let value: string;
      try {
        value = await this.#deps.secretValue(ws, name);
      } catch {
        continue;
      }
      if (value === '') continue;
      const ph =
        task === null ? null : (this.#deps.placeholders?.placeholderFor(ws, task, name) ?? null);
      facts.push(name, value, ph ?? '');
    }
    const key = `${ws}\u0000${task ?? ''}\u0000${names.join('\u0000')}`;
    const cached = this.#compiled.get(key);
    if (cached !== undefined && sameFacts(cached.facts, facts)) return cached.rules;
    const rules: ScrubRule[] = [];
    for (let i = 0; i < facts.length; i += 3) {
      const name = facts[i] as string;
      const ph = facts[i + 2] as string;
      const replace = ph === '' ? REDACTED : Buffer.from(ph, 'latin1');
      for (const find of this.#finds(ws, name, facts[i + 1] as string))
        rules.push({ find, replace });
    }
    const compiled = new ScrubRules(rules);
    if (this.#compiled.size >= MAX_COMPILED) this.#compiled.clear();
    this.#compiled.set(key, { facts, rules: compiled });
    return compiled;
  }
}

function sameFacts(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Responses that never have a body (RFC 9110 §6.4.1): HEAD, 1xx, 204, 304. */
function bodiless(method: string, status: number): boolean {
  return method === 'HEAD' || status < 200 || status === 204 || status === 304;
}

type Decoder = () => Transform;

const DECODERS: Readonly<Record<string, Decoder>> = Object.assign(Object.create(null), {
  gzip: () => createGunzip(),
  'x-gzip': () => createGunzip(),
  deflate: () => createInflate(),
  br: () => createBrotliDecompress(),
  zstd: () => createZstdDecompress(),
});

/** The decoders for a `Content-Encoding` (RFC 9110 §8.4), in the order to apply them. */
function decodersFor(header: string | undefined): Decoder[] {
  if (header === undefined) return [];
  const codings = header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  return codings.reverse().map((c) => {
    const d = DECODERS[c];
    if (d === undefined) {
      throw new AirlockError(
        'ERR_UPSTREAM_ENCODING',
        'upstream answered in a content encoding the proxy cannot scrub',
      );
    }
    return d;
  });
}

/** Counts decoded bytes: a small compressed body must not inflate past the limit. */
function limitStream(max: number): Transform {
  let size = 0;
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      size += chunk.length;
      if (size > max) {
        return cb(
          new AirlockError(
            'ERR_UPSTREAM_RESPONSE_TOO_LARGE',
            `upstream response is larger than ${max} bytes`,
          ),
        );
      }
      cb(null, chunk);
    },
  });
}

/**
 * A body up to this size, declared by `Content-Length` and not encoded, is
 * read whole, scrubbed, and sent with its new length in one write: the
 * agent gets one TLS record instead of a head, a chunk and a terminator,
 * and a `Content-Length` instead of chunked framing. The wait it adds is at
 * most the time the upstream takes to send 64 KiB it has already sized.
 */
export const WHOLE_BODY_BYTES = 64 * 1024;

/** A response made ready to relay: its headers, and where its body comes from. */
export type ScrubbedResponse =
  | {
      readonly kind: 'stream';
      readonly headers: string[];
      /** `ures` itself, or the end of the decode and scrub chain it feeds. */
      readonly body: Readable;
    }
  | {
      /** Read `ures` to its end, then send `scrub(body)` with its length appended to `headers`. */
      readonly kind: 'whole';
      /** Without `Content-Length`: the caller appends the scrubbed body's. */
      readonly headers: string[];
      readonly scrub: (body: Buffer) => Buffer;
    };

/**
 * Prepares an upstream response for the agent (DESIGN.md, request path
 * step 4, "scrubbing any real secret value out of it"): header values are
 * scrubbed; a body is decoded from any `Content-Encoding` the upstream used
 * despite being asked for `identity` (gzip, deflate, br, zstd; anything else
 * is `ERR_UPSTREAM_ENCODING`, since it cannot be scrubbed) and scrubbed as
 * it streams. `Content-Length` is dropped (the body is re-chunked), a
 * decoded body loses `Content-Encoding`, and its strong `ETag` becomes weak.
 * A body of at most {@link WHOLE_BODY_BYTES} that came with a
 * `Content-Length` and no encoding is instead scrubbed whole (`kind: 'whole'`)
 * and keeps a `Content-Length`, its new one.
 *
 * `headers` is the relayed header list (`rewriteResponseHeaders`). Errors in
 * the chain are reported through `onError`; the caller tears down.
 */
export function scrubResponse(
  ures: IncomingMessage,
  headers: readonly string[],
  method: string,
  rules: ScrubRules,
  maxBytes: number,
  onError: (err: unknown) => void,
): ScrubbedResponse {
  if (rules.empty) return { kind: 'stream', headers: [...headers], body: ures };
  const status = ures.statusCode ?? 502;
  const hasBody = !bodiless(method, status);
  const decoders = hasBody ? decodersFor(ures.headers['content-encoding']) : [];
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] ?? '';
    const lower = name.toLowerCase();
    let value = scrubHeaderValue(rules, headers[i + 1] ?? '');
    if (hasBody && lower === 'content-length') continue;
    if (decoders.length > 0 && lower === 'content-encoding') continue;
    if (decoders.length > 0 && lower === 'etag' && !value.startsWith('W/')) value = `W/${value}`;
    out.push(name, value);
  }
  if (!hasBody) return { kind: 'stream', headers: out, body: ures };
  // Node's parser has checked the framing; anything but digits streams.
  const declared = ures.headers['content-length'] ?? '';
  if (
    decoders.length === 0 &&
    /^[0-9]{1,6}$/.test(declared) &&
    Number(declared) <= WHOLE_BODY_BYTES
  ) {
    return { kind: 'whole', headers: out, scrub: (body) => scrubBuffer(rules, body) };
  }
  let body: Readable = ures;
  const stages: Transform[] = decoders.map((d) => d());
  if (stages.length > 0) stages.push(limitStream(maxBytes));
  stages.push(scrubStream(rules));
  for (const stage of stages) {
    stage.once('error', onError);
    body = body.pipe(stage);
  }
  return { kind: 'stream', headers: out, body };
}

/**
 * The upstream request headers with `Accept-Encoding: identity` in place of
 * whatever the agent asked for, so the response can be scrubbed without
 * decoding it (`docs/scrubbing.md` gives the trade-off).
 */
export function askForIdentity(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    if ((headers[i] ?? '').toLowerCase() === 'accept-encoding') continue;
    out.push(headers[i] ?? '', headers[i + 1] ?? '');
  }
  out.push('accept-encoding', 'identity');
  return out;
}
