import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isAirlockError } from '../../core/index.ts';
import { MAX_SOURCE_FILE_BYTES, resolveFileRef } from './file.ts';

let dir: string;

async function secretFile(name: string, content: string, mode = 0o600): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content, { mode });
  await chmod(path, mode);
  return path;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-file-ref-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('a private file resolves to its text, less one trailing newline', async () => {
  assert.equal(await resolveFileRef(await secretFile('plain', 'ghp_value\n'), null), 'ghp_value');
  assert.equal(await resolveFileRef(await secretFile('crlf', 'v\r\n'), null), 'v');
  assert.equal(await resolveFileRef(await secretFile('two', 'v\n\n'), null), 'v\n');
});

test('a JSON pointer picks a member (RFC 6901 escapes included)', async () => {
  const path = await secretFile(
    'creds.json',
    JSON.stringify({
      api: { key: 'k-1', 'a/b': 'slash', 'm~n': 'tilde', port: 443 },
      list: ['x', 'y'],
    }),
  );
  assert.equal(await resolveFileRef(path, '/api/key'), 'k-1');
  assert.equal(await resolveFileRef(path, '/api/a~1b'), 'slash');
  assert.equal(await resolveFileRef(path, '/api/m~0n'), 'tilde');
  assert.equal(await resolveFileRef(path, '/api/port'), '443');
  assert.equal(await resolveFileRef(path, '/list/1'), 'y');
  for (const pointer of ['/api/missing', '/api', '/list/9', '/__proto__/x']) {
    await assert.rejects(resolveFileRef(path, pointer), (err: unknown) =>
      isAirlockError(err, 'ERR_PROVIDER_NOT_FOUND'),
    );
  }
  const broken = await secretFile('broken.json', '{"api": "sk_live_SECRETVALUE"');
  await assert.rejects(resolveFileRef(broken, '/api'), (err: unknown) => {
    assert.ok(isAirlockError(err, 'ERR_PROVIDER_FAILED'));
    assert.ok(!err.message.includes('SECRETVALUE') && err.cause === undefined);
    return true;
  });
});

test('insecure-file-modes: group or world access fails closed with ERR_INSECURE_FILE', async () => {
  for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602, 0o620, 0o700 | 0o004]) {
    const path = await secretFile(`mode-${mode.toString(8)}`, 'value', mode);
    await assert.rejects(resolveFileRef(path, null), (err: unknown) => {
      assert.ok(isAirlockError(err, 'ERR_INSECURE_FILE'), mode.toString(8));
      assert.ok(!err.message.includes('value'));
      return true;
    });
  }
  assert.equal(await resolveFileRef(await secretFile('owner-only', 'ok', 0o400), null), 'ok');
});

test('a symlink, a directory and a missing file are refused', async () => {
  const target = await secretFile('target', 'value');
  const link = join(dir, 'link');
  await symlink(target, link);
  await assert.rejects(resolveFileRef(link, null), (err: unknown) =>
    isAirlockError(err, 'ERR_INSECURE_FILE'),
  );
  const sub = join(dir, 'a-directory');
  await mkdir(sub, { mode: 0o700 });
  await assert.rejects(resolveFileRef(sub, null), (err: unknown) =>
    isAirlockError(err, 'ERR_INSECURE_FILE'),
  );
  await assert.rejects(resolveFileRef(join(dir, 'nope'), null), (err: unknown) =>
    isAirlockError(err, 'ERR_PROVIDER_NOT_FOUND'),
  );
});

test('a file over the size cap is refused', async () => {
  const path = await secretFile('huge', 'x'.repeat(MAX_SOURCE_FILE_BYTES + 1));
  await assert.rejects(resolveFileRef(path, null), (err: unknown) =>
    isAirlockError(err, 'ERR_PROVIDER_FAILED'),
  );
});

test('a file owned by another user is refused with ERR_INSECURE_FILE', {
  skip: process.getuid?.() !== 0 && 'needs root to chown',
}, async () => {
  const path = await secretFile('foreign', 'value');
  await chown(path, 65534, 65534);
  await assert.rejects(resolveFileRef(path, null), (err: unknown) =>
    isAirlockError(err, 'ERR_INSECURE_FILE'),
  );
});
