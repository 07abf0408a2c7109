import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAirlockError } from '../../core/index.ts';
import { formatSecretRef, parseSecretRef } from './ref.ts';

test('references parse to their kind and format back to the same text', () => {
  const cases: [string, unknown][] = [
    ['env:GITHUB_TOKEN', { kind: 'env', name: 'GITHUB_TOKEN' }],
    ['file:/run/secrets/github', { kind: 'file', path: '/run/secrets/github', pointer: null }],
    [
      'file:/etc/app/creds.json#/api/key',
      { kind: 'file', path: '/etc/app/creds.json', pointer: '/api/key' },
    ],
    ['exec:vault#kv/data/github', { kind: 'exec', provider: 'vault', id: 'kv/data/github' }],
    [
      'dotenvx:/srv/app/.env.production#OPENAI_API_KEY',
      { kind: 'dotenvx', path: '/srv/app/.env.production', key: 'OPENAI_API_KEY' },
    ],
  ];
  for (const [text, want] of cases) {
    const ref = parseSecretRef(text);
    assert.deepEqual(ref, want, text);
    assert.equal(formatSecretRef(ref), text);
  }
});

test('malformed references are refused with ERR_INVALID_ARGUMENT and never echoed', () => {
  const bad = [
    '',
    'GITHUB_TOKEN',
    'env:',
    'env:1BAD',
    'file:relative/path',
    'file:/a/../etc/passwd',
    'file:/a//b',
    'file:/a/b#no-slash',
    'file:/a/\nb',
    'exec:vault',
    'exec:vault#',
    'exec:#id',
    'exec:va ult#id',
    'dotenvx:/a/.env',
    'dotenvx:/a/.env#',
    'dotenvx:.env#KEY',
    'vault:kv/github',
    `env:${'A'.repeat(2000)}`,
  ];
  for (const text of bad) {
    assert.throws(
      () => parseSecretRef(text),
      (err: unknown) =>
        isAirlockError(err, 'ERR_INVALID_ARGUMENT') &&
        (text.length < 8 || !err.message.includes(text)),
      JSON.stringify(text),
    );
  }
  assert.throws(
    () => parseSecretRef(42),
    (err: unknown) => isAirlockError(err, 'ERR_INVALID_ARGUMENT'),
  );
});
