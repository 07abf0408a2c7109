import { constants, type Stats } from 'node:fs';
import { type FileHandle, lstat, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AirlockError } from '../core/index.ts';
import { MAX_KEY_TEXT_BYTES } from './keytext.ts';

const { O_CREAT, O_EXCL, O_WRONLY, O_RDONLY, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY } = constants;

function insecure(message: string): AirlockError {
  return new AirlockError('ERR_INSECURE_KEY_FILE', message);
}

function errnoCode(err: unknown): string | undefined {
  if (err instanceof Error && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

/**
 * Refuses a key file that anyone but its owner could read or swap: a symlink,
 * anything but a regular file, a mode with any group or other bit, or an
 * owner other than this process's user. Fails closed where uids don't exist.
 */
function checkKeyFileStat(st: Stats, path: string): void {
  if (st.isSymbolicLink()) throw insecure(`root key file ${path} is a symbolic link`);
  if (!st.isFile()) throw insecure(`root key file ${path} is not a regular file`);
  const perm = st.mode & 0o777;
  if ((perm & 0o077) !== 0) {
    const octal = perm.toString(8).padStart(4, '0');
    throw insecure(`root key file ${path} has mode ${octal}; it must be 0600 (chmod 600)`);
  }
  if (typeof process.getuid !== 'function') {
    throw insecure('root key file ownership cannot be checked on this platform');
  }
  if (st.uid !== process.getuid()) {
    throw insecure(`root key file ${path} is not owned by the user running airlock`);
  }
}

/**
 * Reads a root key file after proving it is private (see `checkKeyFileStat`).
 * The path is checked with `lstat`, opened with `O_NOFOLLOW` (and
 * `O_NONBLOCK`, so a FIFO swapped in cannot hang us), then checked again with
 * `fstat` on the open descriptor, which must be the same inode: a file
 * swapped between the check and the open is refused, not read.
 *
 * Returns the raw content (at most 4 KiB + 1 bytes; longer means malformed).
 * @throws AirlockError `ERR_INSECURE_KEY_FILE`, or `ERR_ROOT_KEY` if unreadable.
 */
export async function readKeyFile(path: string): Promise<Uint8Array> {
  let before: Stats;
  try {
    before = await lstat(path);
  } catch (err) {
    throw new AirlockError('ERR_ROOT_KEY', `root key file ${path} could not be read`, {
      cause: err,
    });
  }
  checkKeyFileStat(before, path);

  let fh: FileHandle;
  try {
    fh = await open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    if (errnoCode(err) === 'ELOOP') throw insecure(`root key file ${path} is a symbolic link`);
    throw new AirlockError('ERR_ROOT_KEY', `root key file ${path} could not be read`, {
      cause: err,
    });
  }
  try {
    const after = await fh.stat();
    checkKeyFileStat(after, path);
    if (after.dev !== before.dev || after.ino !== before.ino) {
      throw insecure(`root key file ${path} changed while it was being opened`);
    }
    const buf = new Uint8Array(MAX_KEY_TEXT_BYTES + 1);
    let length = 0;
    while (length < buf.byteLength) {
      const { bytesRead } = await fh.read(buf, length, buf.byteLength - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return buf.subarray(0, length);
  } catch (err) {
    if (err instanceof AirlockError) throw err;
    throw new AirlockError('ERR_ROOT_KEY', `root key file ${path} could not be read`, {
      cause: err,
    });
  } finally {
    await fh.close();
  }
}

/**
 * Creates a new root key file holding `text`, mode 0600. `O_CREAT|O_EXCL`
 * refuses any existing path, a symlink (even a dangling one) included, so
 * nothing is ever followed or overwritten. The file and its directory are
 * fsynced; a file left half-written by a failure is removed.
 *
 * @throws AirlockError `ERR_CONFLICT` if the path exists, `ERR_ROOT_KEY` on I/O failure.
 */
export async function writeKeyFile(path: string, text: string): Promise<void> {
  let fh: FileHandle;
  try {
    fh = await open(path, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW, 0o600);
  } catch (err) {
    if (errnoCode(err) === 'EEXIST') {
      throw new AirlockError('ERR_CONFLICT', `root key file ${path} already exists`);
    }
    throw new AirlockError('ERR_ROOT_KEY', `root key file ${path} could not be created`, {
      cause: err,
    });
  }
  try {
    try {
      // The umask may have narrowed 0600 further; make it exactly 0600.
      await fh.chmod(0o600);
      await fh.writeFile(text, 'latin1');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await syncDirectory(dirname(path));
  } catch (err) {
    await unlink(path).catch(() => {});
    throw new AirlockError('ERR_ROOT_KEY', `root key file ${path} could not be written`, {
      cause: err,
    });
  }
}

/** Makes the new directory entry durable, so a crash cannot lose a key that was reported made. */
async function syncDirectory(dir: string): Promise<void> {
  const dh = await open(dir, O_RDONLY | O_DIRECTORY);
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
