import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { constantTimeEqual, randomToken, sha256Hex } from './index.ts';

describe('randomToken', () => {
  it('is the prefix and 32 bytes of base32 by default', () => {
    const token = randomToken('alk_agent_');
    assert.match(token, /^alk_agent_[0-9a-hjkmnp-tv-z]{52}$/);
  });

  it('takes a byte count', () => {
    assert.match(randomToken('alk_owner_', 20), /^alk_owner_[0-9a-z]{32}$/);
  });

  it('never repeats', () => {
    const seen = new Set(Array.from({ length: 200 }, () => randomToken('alk_admin_')));
    assert.equal(seen.size, 200);
  });

  for (const bytes of [0, 8, 15, 1025, 16.5, Number.NaN]) {
    it(`refuses ${bytes} bytes as a caller bug`, () => {
      assert.throws(() => randomToken('x_', bytes), TypeError);
    });
  }
});

describe('sha256Hex', () => {
  it('hashes strings as UTF-8 and bytes as-is', () => {
    const expected = createHash('sha256').update('héllo', 'utf8').digest('hex');
    assert.equal(sha256Hex('héllo'), expected);
    assert.equal(sha256Hex(Buffer.from('héllo', 'utf8')), expected);
    assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('constantTimeEqual', () => {
  const h = sha256Hex('a');
  const cases: [string, string, string, boolean][] = [
    ['equal digests', h, sha256Hex('a'), true],
    ['equal base64url MACs', 'q83vEjRWeJA-_w', 'q83vEjRWeJA-_w', true],
    ['case differs', h, h.toUpperCase(), false],
    ['different digests', h, sha256Hex('b'), false],
    ['last byte differs', 'abcd', 'abce', false],
    ['length mismatch', h, h.slice(0, -2), false],
    ['same characters, different UTF-8 length', 'é', 'ee', false],
    ['both empty', '', '', false],
    ['one empty', h, '', false],
  ];
  for (const [name, a, b, want] of cases) {
    it(name, () => assert.equal(constantTimeEqual(a, b), want));
  }

  it('returns false for non-strings instead of throwing', () => {
    const notAString: unknown = 42;
    assert.equal(constantTimeEqual(notAString as string, h), false);
    assert.equal(constantTimeEqual(h, notAString as string), false);
  });
});
