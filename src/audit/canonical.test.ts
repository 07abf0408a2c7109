import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from './canonical.ts';

test('canonical JSON sorts keys at every depth and drops whitespace (RFC 8785)', () => {
  assert.equal(
    canonicalJson({ b: 1, a: { d: [3, { z: null, y: true }], c: 'x' } }),
    '{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}',
  );
});

test('canonical JSON serialises numbers and strings as RFC 8785 §3.2.2 does', () => {
  const table: [unknown, string][] = [
    [0, '0'],
    [-0, '0'],
    [1e21, '1e+21'],
    [0.1, '0.1'],
    [12.5, '12.5'],
    ['é\u0001"\\', '"é\\u0001\\"\\\\"'],
    ['\ud800', '"\\ud800"'],
  ];
  for (const [value, want] of table) assert.equal(canonicalJson(value), want);
});

test('canonical JSON sorts keys by UTF-16 code units', () => {
  assert.equal(canonicalJson({ '€': 1, '\u0080': 2, a: 3 }), '{"a":3,"\u0080":2,"€":1}');
});

test('canonical JSON leaves out undefined members and refuses what JSON cannot hold', () => {
  assert.equal(canonicalJson({ a: undefined, b: 2 }), '{"b":2}');
  for (const bad of [Number.NaN, Infinity, 1n, () => 1, [undefined], new Date(0), Symbol('s')]) {
    assert.throws(() => canonicalJson(bad), TypeError);
  }
});

test('property: canonical JSON parses back to the same value and is a fixed point', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const text = canonicalJson(value);
      const again = canonicalJson(JSON.parse(text));
      assert.equal(again, text);
    }),
  );
});
