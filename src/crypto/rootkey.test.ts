import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { type ErrorCode, isAirlockError } from '../core/index.ts';
import { createRootKey, loadRootKey, type RootKeySource } from './index.ts';

/** Cheap scrypt cost so the suite stays fast; production uses SCRYPT_DEFAULTS. */
const FAST = { N: 2 ** 10, r: 8, p: 1 } as const;
const REJECTED = 'root key rejected';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-crypto-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Asserts an AirlockError with `code` (and `message`, when given) is what `p` rejects with. */
async function rejectsWith(p: Promise<unknown>, code: ErrorCode, message?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isAirlockError(err, code), `expected ${code}, got ${String(err)}`);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  });
}

/** A key file written by hand (for the cases `createRootKey` would never produce). */
async function writeKey(path: string, text: string, mode = 0o600): Promise<void> {
  await writeFile(path, text, { mode });
  await chmod(path, mode);
}

describe('file root key', () => {
  it('creates a 0600 base64 key file and loads it back', async (t) => {
    const path = join(await tempDir(t), 'root.key');
    const made = await createRootKey({ kind: 'file', path });
    assert.deepEqual(made.source, { kind: 'file', path });
    assert.equal((await lstat(path)).mode & 0o777, 0o600);
    const text = await readFile(path, 'latin1');
    assert.deepEqual(Buffer.from(text.trim(), 'base64'), Buffer.from(made.key));
    assert.deepEqual(await loadRootKey(made.source, made.verifier), made.key);
  });

  it('refuses to overwrite a file or follow a dangling symlink at create', async (t) => {
    const dir = await tempDir(t);
    const existing = join(dir, 'exists.key');
    await writeFile(existing, 'keep me');
    await rejectsWith(createRootKey({ kind: 'file', path: existing }), 'ERR_CONFLICT');
    assert.equal(await readFile(existing, 'utf8'), 'keep me');

    const link = join(dir, 'link.key');
    await symlink(join(dir, 'target.key'), link);
    await rejectsWith(createRootKey({ kind: 'file', path: link }), 'ERR_CONFLICT');
    await assert.rejects(lstat(join(dir, 'target.key')), { code: 'ENOENT' });
  });

  it('refuses a relative path', async () => {
    await rejectsWith(createRootKey({ kind: 'file', path: 'root.key' }), 'ERR_INVALID_ARGUMENT');
  });

  for (const mode of [0o400, 0o600, 0o700]) {
    it(`accepts a key file with mode ${mode.toString(8).padStart(4, '0')}`, async (t) => {
      const made = await createRootKey({ kind: 'file', path: join(await tempDir(t), 'k') });
      if (made.source.kind !== 'file') throw new Error('unreachable');
      await chmod(made.source.path, mode);
      assert.deepEqual(await loadRootKey(made.source, made.verifier), made.key);
    });
  }

  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o610, 0o601, 0o777]) {
    it(`insecure-key-file-mode-${mode.toString(8).padStart(4, '0')}: refused`, async (t) => {
      const made = await createRootKey({ kind: 'file', path: join(await tempDir(t), 'k') });
      if (made.source.kind !== 'file') throw new Error('unreachable');
      await chmod(made.source.path, mode);
      await rejectsWith(loadRootKey(made.source, made.verifier), 'ERR_INSECURE_KEY_FILE');
    });
  }

  it('insecure-key-file-symlink: a symlink to a good key file is refused', async (t) => {
    const dir = await tempDir(t);
    const made = await createRootKey({ kind: 'file', path: join(dir, 'real.key') });
    const link = join(dir, 'link.key');
    if (made.source.kind !== 'file') throw new Error('unreachable');
    await symlink(made.source.path, link);
    await rejectsWith(
      loadRootKey({ kind: 'file', path: link }, made.verifier),
      'ERR_INSECURE_KEY_FILE',
    );
  });

  it('insecure-key-file-directory: a directory is refused', async (t) => {
    const dir = join(await tempDir(t), 'keydir');
    await mkdir(dir, { mode: 0o700 });
    await rejectsWith(loadRootKey({ kind: 'file', path: dir }, 'x'), 'ERR_INSECURE_KEY_FILE');
  });

  // The owner check compares the file's uid with process.getuid(). A file we
  // create is always ours, so the test needs a second uid: it chowns the file
  // to 65534 (nobody), which only root may do. The suite runs as root; as any
  // other user there is no way to make such a file, so the test is skipped.
  it('insecure-key-file-owner: a key file owned by another user is refused', async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip('needs root to chown the key file to uid 65534 (nobody)');
      return;
    }
    const made = await createRootKey({ kind: 'file', path: join(await tempDir(t), 'k') });
    if (made.source.kind !== 'file') throw new Error('unreachable');
    await chown(made.source.path, 65534, 65534);
    await rejectsWith(loadRootKey(made.source, made.verifier), 'ERR_INSECURE_KEY_FILE');
  });

  it('wrong or malformed key content gives one indistinguishable ERR_ROOT_KEY', async (t) => {
    const dir = await tempDir(t);
    const made = await createRootKey({ kind: 'file', path: join(dir, 'k') });
    const other = join(dir, 'other.key');
    const contents = [
      randomBytes(32).toString('base64'), // a well-formed key, but not this one
      randomBytes(32).toString('hex'),
      randomBytes(31).toString('base64'),
      randomBytes(33).toString('base64'),
      '',
      'not a key at all',
      'A'.repeat(5000),
    ];
    for (const content of contents) {
      await rm(other, { force: true });
      await writeKey(other, content);
      await rejectsWith(
        loadRootKey({ kind: 'file', path: other }, made.verifier),
        'ERR_ROOT_KEY',
        REJECTED,
      );
    }
  });

  it('a tampered verifier gives the same ERR_ROOT_KEY', async (t) => {
    const made = await createRootKey({ kind: 'file', path: join(await tempDir(t), 'k') });
    const v = Buffer.from(made.verifier, 'base64');
    v[20] = (v[20] ?? 0) ^ 1;
    await rejectsWith(loadRootKey(made.source, v.toString('base64')), 'ERR_ROOT_KEY', REJECTED);
    await rejectsWith(loadRootKey(made.source, ''), 'ERR_ROOT_KEY', REJECTED);
  });

  it('a missing key file is ERR_ROOT_KEY', async (t) => {
    const path = join(await tempDir(t), 'missing.key');
    await rejectsWith(loadRootKey({ kind: 'file', path }, 'x'), 'ERR_ROOT_KEY');
  });
});

describe('passphrase root key', () => {
  it('round-trips, and the passphrase is NFC-normalised', async () => {
    const made = await createRootKey({
      kind: 'passphrase',
      passphrase: 'caf\u00e9 horse',
      ...FAST,
    });
    assert.equal(made.source.kind, 'passphrase');
    assert.deepEqual(
      await loadRootKey(made.source, made.verifier, { passphrase: 'caf\u00e9 horse' }),
      made.key,
    );
    assert.deepEqual(
      await loadRootKey(made.source, made.verifier, { passphrase: 'cafe\u0301 horse' }),
      made.key,
    );
  });

  it('a wrong passphrase gives the same error as wrong key file content', async (t) => {
    const made = await createRootKey({ kind: 'passphrase', passphrase: 'right', ...FAST });
    await rejectsWith(
      loadRootKey(made.source, made.verifier, { passphrase: 'wrong' }),
      'ERR_ROOT_KEY',
      REJECTED,
    );
    await rejectsWith(
      loadRootKey(made.source, made.verifier, { passphrase: '' }),
      'ERR_ROOT_KEY',
      REJECTED,
    );

    const file = await createRootKey({ kind: 'file', path: join(await tempDir(t), 'k') });
    if (file.source.kind !== 'file') throw new Error('unreachable');
    await rm(file.source.path);
    await writeKey(file.source.path, randomBytes(32).toString('base64'));
    const errors = await Promise.allSettled([
      loadRootKey(made.source, made.verifier, { passphrase: 'wrong' }),
      loadRootKey(file.source, file.verifier),
    ]);
    const [a, b] = errors.map((r) => (r.status === 'rejected' ? r.reason : null));
    assert.ok(isAirlockError(a) && isAirlockError(b));
    assert.equal(a.code, b.code);
    assert.equal(a.message, b.message);
  });

  it('refuses an empty passphrase at create, and a missing one at load', async () => {
    await rejectsWith(
      createRootKey({ kind: 'passphrase', passphrase: '', ...FAST }),
      'ERR_INVALID_ARGUMENT',
    );
    const made = await createRootKey({ kind: 'passphrase', passphrase: 'p', ...FAST });
    await rejectsWith(loadRootKey(made.source, made.verifier), 'ERR_INVALID_ARGUMENT');
  });

  it('refuses bad scrypt parameters at create', async () => {
    for (const bad of [
      { N: 1000 },
      { N: 1 },
      { N: 2 ** 21 },
      { r: 0 },
      { p: 17 },
      { N: 2 ** 20, r: 16 },
    ]) {
      await rejectsWith(
        createRootKey({ kind: 'passphrase', passphrase: 'p', ...FAST, ...bad }),
        'ERR_INVALID_ARGUMENT',
      );
    }
  });

  it('defaults to N=2^17, r=8, p=1 (and has the memory to run them)', async () => {
    const made = await createRootKey({ kind: 'passphrase', passphrase: 'p' });
    assert.ok(made.source.kind === 'passphrase');
    assert.deepEqual([made.source.N, made.source.r, made.source.p], [2 ** 17, 8, 1]);
    assert.equal(Buffer.from(made.source.salt, 'base64').byteLength, 16);
  });

  it('refuses a tampered source demanding too much memory with ERR_CONFIG', async () => {
    const made = await createRootKey({ kind: 'passphrase', passphrase: 'p', ...FAST });
    assert.ok(made.source.kind === 'passphrase');
    const greedy: RootKeySource = { ...made.source, N: 2 ** 24 };
    await rejectsWith(loadRootKey(greedy, made.verifier, { passphrase: 'p' }), 'ERR_CONFIG');
  });
});

describe('command root key', () => {
  /** Writes an executable script that prints the file named by its first argument. */
  async function catScript(dir: string, body = 'exec cat "$1"'): Promise<string> {
    const script = join(dir, 'print-key.sh');
    await writeFile(script, `#!/bin/sh\n${body}\n`, { mode: 0o700 });
    return script;
  }

  it('takes the key a command prints, as base64 or hex', async (t) => {
    const dir = await tempDir(t);
    const script = await catScript(dir);
    const keyPath = join(dir, 'kms-output');
    const raw = randomBytes(32);
    await writeFile(keyPath, `${raw.toString('base64')}\n`);
    const made = await createRootKey({ kind: 'command', command: script, args: [keyPath] });
    assert.deepEqual(made.source, { kind: 'command', command: script, args: [keyPath] });
    assert.deepEqual(Buffer.from(made.key), raw);

    await writeFile(keyPath, raw.toString('hex').toUpperCase());
    assert.deepEqual(Buffer.from(await loadRootKey(made.source, made.verifier)), raw);
  });

  it('passes args to the command as-is, with no shell to expand them', async () => {
    const raw = randomBytes(32);
    const meta = '$(id) `id` ; | & * ~ "\' $HOME';
    const program = `process.stdout.write(process.argv[1] === ${JSON.stringify(meta)} ? ${JSON.stringify(raw.toString('base64'))} : 'mangled')`;
    const made = await createRootKey({
      kind: 'command',
      command: process.execPath,
      args: ['-e', program, meta],
    });
    assert.deepEqual(Buffer.from(made.key), raw);
  });

  it('a command printing another key gives the same ERR_ROOT_KEY', async (t) => {
    const dir = await tempDir(t);
    const script = await catScript(dir);
    const keyPath = join(dir, 'kms-output');
    await writeFile(keyPath, randomBytes(32).toString('base64'));
    const made = await createRootKey({ kind: 'command', command: script, args: [keyPath] });
    for (const content of [randomBytes(32).toString('base64'), 'garbage', '']) {
      await writeFile(keyPath, content);
      await rejectsWith(loadRootKey(made.source, made.verifier), 'ERR_ROOT_KEY', REJECTED);
    }
  });

  it('a failing command is ERR_ROOT_KEY and its output never reaches the error', async (t) => {
    const dir = await tempDir(t);
    const leaky = await catScript(
      dir,
      'echo "stderr-secret-7f3a" >&2; echo "stdout-secret-9c1d"; exit 3',
    );
    await assert.rejects(
      createRootKey({ kind: 'command', command: leaky, args: [] }),
      (err: unknown) => {
        assert.ok(isAirlockError(err, 'ERR_ROOT_KEY'));
        assert.equal(err.message, 'root key command failed: it exited with code 3');
        assert.equal(err.cause, undefined);
        assert.doesNotMatch(String(err.stack), /secret-/);
        return true;
      },
    );
  });

  it('a missing command or too much output is ERR_ROOT_KEY', async (t) => {
    const dir = await tempDir(t);
    await rejectsWith(
      createRootKey({ kind: 'command', command: join(dir, 'no-such-command'), args: [] }),
      'ERR_ROOT_KEY',
    );
    const chatty = await catScript(dir, 'head -c 100000 /dev/zero');
    await rejectsWith(
      createRootKey({ kind: 'command', command: chatty, args: [] }),
      'ERR_ROOT_KEY',
    );
  });

  it('a command printing no key at create is ERR_ROOT_KEY', async (t) => {
    const script = await catScript(await tempDir(t), 'echo hello');
    await rejectsWith(createRootKey({ kind: 'command', command: script }), 'ERR_ROOT_KEY');
  });
});
