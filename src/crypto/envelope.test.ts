import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { isAirlockError, newId, type SecretId, type WorkspaceId } from '../core/index.ts';
import {
  deriveKey,
  instanceAad,
  newDataKey,
  open,
  seal,
  secretAad,
  unwrapDataKey,
  wrapDataKey,
} from './index.ts';

const ws = newId<WorkspaceId>('ws');
const otherWs = newId<WorkspaceId>('ws');
const sec = newId<SecretId>('sec');
const otherSec = newId<SecretId>('sec');
const text = (s: string) => Buffer.from(s, 'utf8');

/** Asserts the one opaque decrypt failure: same code, same message, no cause. */
function assertDecryptFailed(fn: () => unknown): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isAirlockError(err, 'ERR_DECRYPT'));
    assert.equal(err.message, 'decryption failed');
    assert.equal(err.cause, undefined);
    return true;
  });
}

describe('seal and open', () => {
  const key = newDataKey();
  const aad = secretAad(ws, sec, 1);

  it('round-trips, including empty and large plaintexts', () => {
    for (const plain of [new Uint8Array(0), text('sk-live-123'), randomBytes(100_000)]) {
      assert.deepEqual(Buffer.from(open(key, seal(key, plain, aad), aad)), Buffer.from(plain));
    }
  });

  it('lays out version | nonce | ciphertext | tag', () => {
    const sealed = seal(key, text('abc'), aad);
    assert.equal(sealed[0], 0x01);
    assert.equal(sealed.byteLength, 1 + 12 + 3 + 16);
  });

  it('uses a fresh nonce each call', () => {
    const a = seal(key, text('same'), aad);
    const b = seal(key, text('same'), aad);
    assert.notDeepEqual(Buffer.from(a.subarray(1, 13)), Buffer.from(b.subarray(1, 13)));
  });

  it('refuses every tampered byte with ERR_DECRYPT', () => {
    const sealed = seal(key, text('secret value'), aad);
    for (let i = 0; i < sealed.byteLength; i++) {
      const bad = Uint8Array.from(sealed);
      bad[i] = (bad[i] ?? 0) ^ 0x01;
      assertDecryptFailed(() => open(key, bad, aad));
    }
  });

  it('refuses truncated values with ERR_DECRYPT', () => {
    const sealed = seal(key, text('secret value'), aad);
    for (const len of [0, 1, 13, 28, sealed.byteLength - 1]) {
      assertDecryptFailed(() => open(key, sealed.subarray(0, len), aad));
    }
  });

  it('refuses an unknown version with ERR_DECRYPT', () => {
    const bad = Uint8Array.from(seal(key, text('x'), aad));
    bad[0] = 0x02;
    assertDecryptFailed(() => open(key, bad, aad));
  });

  it('refuses a wrong key with ERR_DECRYPT', () => {
    assertDecryptFailed(() => open(newDataKey(), seal(key, text('x'), aad), aad));
  });

  it('binds the ciphertext to its secret, version and workspace (row-copy attack)', () => {
    const sealed = seal(key, text('x'), aad);
    for (const moved of [
      secretAad(ws, otherSec, 1),
      secretAad(ws, sec, 2),
      secretAad(otherWs, sec, 1),
    ]) {
      assertDecryptFailed(() => open(key, sealed, moved));
    }
  });

  it('throws TypeError for caller bugs', () => {
    assert.throws(() => seal(new Uint8Array(16), text('x'), aad), TypeError);
    assert.throws(() => seal(key, text('x'), ''), TypeError);
    assert.throws(() => open(new Uint8Array(31), seal(key, text('x'), aad), aad), TypeError);
  });
});

describe('data keys', () => {
  it('wrap and unwrap under the root key', () => {
    const root = newDataKey();
    const dk = newDataKey();
    assert.equal(dk.byteLength, 32);
    const wrapped = wrapDataKey(root, dk, ws);
    assert.deepEqual(unwrapDataKey(root, wrapped, ws), dk);
  });

  it('refuses another workspace or another root key with ERR_DECRYPT', () => {
    const root = newDataKey();
    const wrapped = wrapDataKey(root, newDataKey(), ws);
    assertDecryptFailed(() => unwrapDataKey(root, wrapped, otherWs));
    assertDecryptFailed(() => unwrapDataKey(newDataKey(), wrapped, ws));
  });

  it('are not sealed under the raw root key', () => {
    const root = newDataKey();
    const wrapped = wrapDataKey(root, newDataKey(), ws);
    assertDecryptFailed(() => open(root, wrapped, `airlock:dk:v1:${ws}`));
  });
});

describe('deriveKey', () => {
  it('is deterministic per label and separates labels', () => {
    const root = newDataKey();
    assert.deepEqual(deriveKey(root, 'ca'), deriveKey(root, 'ca'));
    assert.notDeepEqual(deriveKey(root, 'ca'), deriveKey(root, 'signing'));
    assert.notDeepEqual(deriveKey(root, 'ca'), deriveKey(newDataKey(), 'ca'));
    assert.equal(deriveKey(root, 'ca').byteLength, 32);
  });

  it('seals instance blobs that cannot be swapped between names', () => {
    const k = deriveKey(newDataKey(), 'instance');
    const blob = seal(k, text('-----BEGIN PRIVATE KEY-----'), instanceAad('ca.key'));
    assert.equal(
      Buffer.from(open(k, blob, instanceAad('ca.key'))).toString(),
      '-----BEGIN PRIVATE KEY-----',
    );
    assertDecryptFailed(() => open(k, blob, instanceAad('signing.key')));
  });

  it('throws TypeError for an empty label or short key', () => {
    assert.throws(() => deriveKey(newDataKey(), ''), TypeError);
    assert.throws(() => deriveKey(new Uint8Array(8), 'x'), TypeError);
  });
});

describe('secretAad', () => {
  it('names workspace, secret and version', () => {
    assert.equal(secretAad(ws, sec, 3), `airlock:secret:v1:${ws}:${sec}:3`);
  });

  it('refuses ambiguous fields and bad versions', () => {
    assert.throws(() => secretAad('a:b' as WorkspaceId, sec, 1), TypeError);
    assert.throws(() => secretAad(ws, '' as SecretId, 1), TypeError);
    for (const v of [0, -1, 1.5, Number.NaN]) assert.throws(() => secretAad(ws, sec, v), TypeError);
  });
});
