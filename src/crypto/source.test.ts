import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAirlockError } from '../core/index.ts';
import { parseRootKeySource } from './index.ts';

const salt = Buffer.alloc(16, 7).toString('base64');

describe('parseRootKeySource', () => {
  const valid: unknown[] = [
    { kind: 'file', path: '/home/me/.airlock/root.key' },
    { kind: 'passphrase', salt, N: 2 ** 17, r: 8, p: 1 },
    { kind: 'command', command: 'op', args: ['read', 'op://vault/airlock/key'] },
    { kind: 'command', command: '/usr/bin/kms-decrypt', args: [] },
  ];
  for (const value of valid) {
    it(`accepts ${JSON.stringify(value)}`, () => {
      assert.deepEqual(parseRootKeySource(value), value);
    });
  }

  it('drops unknown fields and copies args', () => {
    const args = ['a'];
    const parsed = parseRootKeySource({ kind: 'command', command: 'x', args, extra: 1 });
    assert.deepEqual(parsed, { kind: 'command', command: 'x', args: ['a'] });
    assert.ok(parsed.kind === 'command' && parsed.args !== args);
  });

  const invalid: [string, unknown][] = [
    ['null', null],
    ['an array', []],
    ['a string', 'file'],
    ['no kind', { path: '/k' }],
    ['unknown kind', { kind: 'env', name: 'KEY' }],
    ['inherited kind', Object.create({ kind: 'file', path: '/k' })],
    ['relative path', { kind: 'file', path: 'root.key' }],
    ['empty path', { kind: 'file', path: '' }],
    ['NUL in path', { kind: 'file', path: '/k\0' }],
    ['short salt', { kind: 'passphrase', salt: 'AAAA', N: 1024, r: 8, p: 1 }],
    ['non-canonical salt', { kind: 'passphrase', salt: `${salt}!`, N: 1024, r: 8, p: 1 }],
    ['N not a power of two', { kind: 'passphrase', salt, N: 1000, r: 8, p: 1 }],
    ['N too large', { kind: 'passphrase', salt, N: 2 ** 21, r: 8, p: 1 }],
    ['N as a string', { kind: 'passphrase', salt, N: '1024', r: 8, p: 1 }],
    ['memory over 1 GiB', { kind: 'passphrase', salt, N: 2 ** 20, r: 9, p: 1 }],
    ['r zero', { kind: 'passphrase', salt, N: 1024, r: 0, p: 1 }],
    ['p fractional', { kind: 'passphrase', salt, N: 1024, r: 8, p: 1.5 }],
    ['empty command', { kind: 'command', command: '', args: [] }],
    ['args missing', { kind: 'command', command: 'x' }],
    ['args not strings', { kind: 'command', command: 'x', args: [1] }],
  ];
  for (const [name, value] of invalid) {
    it(`refuses ${name} with ERR_CONFIG`, () => {
      assert.throws(
        () => parseRootKeySource(value),
        (err: unknown) => isAirlockError(err, 'ERR_CONFIG'),
      );
    });
  }
});
