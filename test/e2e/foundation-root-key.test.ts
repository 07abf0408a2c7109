import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, chown, copyFile, readFile, rename, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRootKey } from '../../src/crypto/index.ts';
import { type HomePaths, readConfig, writeConfig } from '../../src/home/index.ts';
import { initTestHome, openVault, runCli, serveTestHome } from '../helpers/airlock.ts';

async function digest(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

async function storeSecret(paths: HomePaths, name: string, value: string): Promise<void> {
  const { vault, ws, close } = await openVault(paths);
  await vault.create(ws, name, value);
  await close();
}

async function revealSecret(paths: HomePaths, name: string, passphrase?: string): Promise<string> {
  const { vault, ws, close } = await openVault(paths, passphrase);
  try {
    return (await vault.reveal(ws, name)).toString();
  } finally {
    await close();
  }
}

test('serve refuses a group- or world-readable key file with ERR_INSECURE_KEY_FILE and touches nothing', async () => {
  const home = await initTestHome();
  try {
    const before = await digest(home.paths.store);
    for (const mode of [0o644, 0o640, 0o604]) {
      await chmod(home.paths.rootKeyFile, mode);
      await assert.rejects(serveTestHome(home.paths), { code: 'ERR_INSECURE_KEY_FILE' });
    }
    assert.equal(await digest(home.paths.store), before);
    await chmod(home.paths.rootKeyFile, 0o600);
    const server = await serveTestHome(home.paths);
    await server.close();
  } finally {
    await home.cleanup();
  }
});

test('serve refuses a symlinked key file with ERR_INSECURE_KEY_FILE', async () => {
  const home = await initTestHome();
  try {
    const real = join(home.paths.home, 'real.key');
    await rename(home.paths.rootKeyFile, real);
    await symlink(real, home.paths.rootKeyFile);
    await assert.rejects(serveTestHome(home.paths), { code: 'ERR_INSECURE_KEY_FILE' });
  } finally {
    await home.cleanup();
  }
});

test('serve refuses a key file owned by another user with ERR_INSECURE_KEY_FILE', {
  skip: process.getuid?.() !== 0 ? 'needs root to chown' : false,
}, async () => {
  const home = await initTestHome();
  try {
    await chown(home.paths.rootKeyFile, 65534, 65534);
    await assert.rejects(serveTestHome(home.paths), { code: 'ERR_INSECURE_KEY_FILE' });
  } finally {
    await home.cleanup();
  }
});

test('a wrong key file and a wrong passphrase give the same ERR_ROOT_KEY and touch nothing', async () => {
  const fileHome = await initTestHome();
  const other = await initTestHome();
  const passHome = await initTestHome({ kind: 'passphrase', passphrase: 'correct horse', N: 1024 });
  try {
    const before = await digest(fileHome.paths.store);
    await copyFile(other.paths.rootKeyFile, fileHome.paths.rootKeyFile);
    const wrongKey = await serveTestHome(fileHome.paths).then(
      () => assert.fail('served with a wrong key'),
      (e: unknown) => e as { code: string; message: string },
    );
    const wrongPass = await serveTestHome(passHome.paths, 'battery staple').then(
      () => assert.fail('served with a wrong passphrase'),
      (e: unknown) => e as { code: string; message: string },
    );
    assert.equal(wrongKey.code, 'ERR_ROOT_KEY');
    assert.equal(wrongPass.code, 'ERR_ROOT_KEY');
    assert.equal(wrongKey.message, wrongPass.message);
    assert.equal(await digest(fileHome.paths.store), before);
    const ok = await serveTestHome(passHome.paths, 'correct horse');
    await ok.close();
  } finally {
    await Promise.all([fileHome.cleanup(), other.cleanup(), passHome.cleanup()]);
  }
});

test('the CLI reads the passphrase from stdin and refuses a wrong one', async () => {
  const { tempDir } = await import('../helpers/airlock.ts');
  const { dir, cleanup } = await tempDir();
  try {
    const home = join(dir, 'home');
    const init = await runCli(['init', '--home', home, '--passphrase-stdin', '--json'], {
      stdin: 'open sesame\n',
    });
    assert.equal(init.code, 0, init.stderr);
    assert.equal(JSON.parse(init.stdout).rootKey, 'passphrase');
    const bad = await runCli(
      [
        'serve',
        '--home',
        home,
        '--api',
        '127.0.0.1:0',
        '--proxy',
        '127.0.0.1:0',
        '--passphrase-stdin',
      ],
      { stdin: 'open barley\n' },
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /root key rejected \[ERR_ROOT_KEY\]/);
  } finally {
    await cleanup();
  }
});

test('init refuses an existing home and leaves it as it was', async () => {
  const home = await initTestHome();
  try {
    const before = await digest(home.paths.config);
    const r = await runCli(['init', '--home', home.paths.home]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ERR_HOME_EXISTS/);
    assert.equal(await digest(home.paths.config), before);
    assert.equal((await stat(home.paths.home)).mode & 0o777, 0o700);
  } finally {
    await home.cleanup();
  }
});

test('key rotate re-wraps the data keys: file to passphrase and back, secrets intact, old key file gone', async () => {
  const home = await initTestHome();
  try {
    await storeSecret(home.paths, 'KEPT', 'kept-value');
    const h = ['--home', home.paths.home];
    const toPass = await runCli(
      ['key', 'rotate', '--to', 'passphrase', '--passphrase-stdin', '--json', ...h],
      {
        stdin: 'new pass\n',
      },
    );
    assert.equal(toPass.code, 0, toPass.stderr);
    assert.equal(JSON.parse(toPass.stdout).workspaces, 1);
    await assert.rejects(stat(home.paths.rootKeyFile), { code: 'ENOENT' });
    assert.equal((await readConfig(home.paths)).rootKey.source.kind, 'passphrase');
    assert.equal(await revealSecret(home.paths, 'KEPT', 'new pass'), 'kept-value');
    await assert.rejects(revealSecret(home.paths, 'KEPT', 'old pass'), { code: 'ERR_ROOT_KEY' });

    const wrongCurrent = await runCli(['key', 'rotate', '--passphrase-stdin', ...h], {
      stdin: 'old pass\n',
    });
    assert.equal(wrongCurrent.code, 1);
    assert.match(wrongCurrent.stderr, /ERR_ROOT_KEY/);

    const toFile = await runCli(['key', 'rotate', '--passphrase-stdin', ...h], {
      stdin: 'new pass\n',
    });
    assert.equal(toFile.code, 0, toFile.stderr);
    const config = await readConfig(home.paths);
    assert.equal(config.rootKey.source.kind, 'file');
    assert.equal(await revealSecret(home.paths, 'KEPT'), 'kept-value');
  } finally {
    await home.cleanup();
  }
});

test('an interrupted root key rotation is settled at the next start by what the store says', async () => {
  const home = await initTestHome();
  try {
    await storeSecret(home.paths, 'KEPT', 'kept-value');
    const config = await readConfig(home.paths);
    // Crash after the new key was recorded as pending but before the store was re-wrapped: roll back.
    const stray = await createRootKey({ kind: 'file', path: join(home.paths.home, 'stray.key') });
    await writeConfig(home.paths, {
      ...config,
      pendingRootKey: { source: stray.source, verifier: stray.verifier },
    });
    assert.equal(await revealSecret(home.paths, 'KEPT'), 'kept-value');
    assert.equal((await readConfig(home.paths)).pendingRootKey, undefined);
    await assert.rejects(stat(join(home.paths.home, 'stray.key')), { code: 'ENOENT' });
    // Crash after the store was re-wrapped but before config was promoted: promote.
    const stale = await createRootKey({ kind: 'file', path: join(home.paths.home, 'stale.key') });
    await writeConfig(home.paths, {
      ...config,
      rootKey: { source: stale.source, verifier: stale.verifier },
      pendingRootKey: config.rootKey,
    });
    assert.equal(await revealSecret(home.paths, 'KEPT'), 'kept-value');
    const settled = await readConfig(home.paths);
    assert.deepEqual(settled.rootKey, config.rootKey);
    assert.equal(settled.pendingRootKey, undefined);
    await assert.rejects(stat(join(home.paths.home, 'stale.key')), { code: 'ENOENT' });
  } finally {
    await home.cleanup();
  }
});
