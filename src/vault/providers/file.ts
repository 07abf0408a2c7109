import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import { AirlockError } from '../../core/index.ts';

/** Largest file a `file:` reference (or a `.env.keys`) may name: 1 MiB. */
export const MAX_SOURCE_FILE_BYTES = 1024 * 1024;

function errno(err: unknown): string {
  return err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : '';
}

function insecure(path: string, why: string): AirlockError {
  return new AirlockError('ERR_INSECURE_FILE', `${path} ${why}`);
}

/** What the caller requires of a file besides being a regular file of at most `maxBytes`. */
export interface ReadFileOptions {
  /** Refuse a file that is not owned by this process's user, or that group or others can read or write. */
  readonly private: boolean;
  readonly maxBytes?: number;
}

/**
 * Reads a file a secret comes from, failing closed:
 *
 * - a symlink anywhere at the last component is refused (`O_NOFOLLOW`, and
 *   an `lstat` first so the message says why);
 * - it must be a regular file, checked on the opened descriptor, so a swap
 *   between the check and the read cannot substitute another file;
 * - when `private`, it must belong to this process's user and carry no
 *   group or other permission bits (`ERR_INSECURE_FILE`);
 * - it is at most `maxBytes`, counted while reading.
 *
 * A missing file is `ERR_PROVIDER_NOT_FOUND`; any other failure to read is
 * `ERR_PROVIDER_FAILED`. Messages name the path and never the content.
 */
export async function readSourceFile(path: string, options: ReadFileOptions): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? MAX_SOURCE_FILE_BYTES;
  try {
    if ((await lstat(path)).isSymbolicLink()) throw insecure(path, 'is a symlink');
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    if (errno(err) === 'ENOENT') {
      throw new AirlockError('ERR_PROVIDER_NOT_FOUND', `${path} does not exist`, { cause: err });
    }
    throw new AirlockError('ERR_PROVIDER_FAILED', `cannot read ${path}`, { cause: err });
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if (errno(err) === 'ELOOP') throw insecure(path, 'is a symlink');
    if (errno(err) === 'ENOENT') {
      throw new AirlockError('ERR_PROVIDER_NOT_FOUND', `${path} does not exist`, { cause: err });
    }
    throw new AirlockError('ERR_PROVIDER_FAILED', `cannot open ${path}`, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw insecure(path, 'is not a regular file');
    if (options.private) {
      if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
        throw insecure(path, "is not owned by the server's user");
      }
      if ((st.mode & 0o077) !== 0) {
        throw insecure(
          path,
          `is accessible to group or others (mode ${modeText(st.mode)}): chmod 600 it`,
        );
      }
    }
    if (st.size > maxBytes) {
      throw new AirlockError('ERR_PROVIDER_FAILED', `${path} is larger than ${maxBytes} bytes`);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const buffer = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      size += bytesRead;
      if (size > maxBytes) {
        throw new AirlockError('ERR_PROVIDER_FAILED', `${path} is larger than ${maxBytes} bytes`);
      }
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
    }
    buffer.fill(0);
    return Buffer.concat(chunks);
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    throw new AirlockError('ERR_PROVIDER_FAILED', `cannot read ${path}`, { cause: err });
  } finally {
    await handle.close();
  }
}

function modeText(mode: number): string {
  return (mode & 0o777).toString(8).padStart(3, '0');
}

/**
 * Follows an RFC 6901 JSON pointer. The target must be a string (used as is)
 * or a number or boolean (its JSON text); anything else, or a missing
 * member, is `ERR_PROVIDER_NOT_FOUND`.
 */
export function jsonPointer(document: unknown, pointer: string, where: string): string {
  let node: unknown = document;
  for (const raw of pointer.split('/').slice(1)) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(token)) {
      node = node[Number(token)];
    } else if (typeof node === 'object' && node !== null && !Array.isArray(node)) {
      node = Object.hasOwn(node, token) ? (node as Record<string, unknown>)[token] : undefined;
    } else {
      node = undefined;
    }
    if (node === undefined) break;
  }
  if (typeof node === 'string') return node;
  if (typeof node === 'number' || typeof node === 'boolean') return JSON.stringify(node);
  throw new AirlockError(
    'ERR_PROVIDER_NOT_FOUND',
    `${where}: the JSON pointer does not name a string, number or boolean`,
  );
}

/**
 * Resolves a `file:` reference: a private file (see {@link readSourceFile}),
 * its text with one trailing newline removed, or the string a JSON pointer
 * names inside it.
 */
export async function resolveFileRef(path: string, pointer: string | null): Promise<string> {
  const bytes = await readSourceFile(path, { private: true });
  try {
    const text = bytes.toString('utf8');
    if (pointer === null) return text.replace(/\r?\n$/, '');
    let document: unknown;
    try {
      document = JSON.parse(text);
    } catch {
      // No `cause`: JSON.parse's message quotes the text it choked on.
      throw new AirlockError('ERR_PROVIDER_FAILED', `${path} is not valid JSON`);
    }
    return jsonPointer(document, pointer, path);
  } finally {
    bytes.fill(0);
  }
}
