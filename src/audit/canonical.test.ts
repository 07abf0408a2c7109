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

/** RFC 8785 written the plain way, member by member: what the fast path must equal. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const members = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}

test('canonical JSON orders keys that engines order otherwise, and copies nothing it is given', () => {
  const table: [unknown, string][] = [
    // Array-index keys come first in numeric order in JS, but sort as text here.
    [
      { b: 1, 10: 'x', 9: 'y', a: [{ 2: 0, 1: 0, _: 0 }] },
      '{"10":"x","9":"y","a":[{"1":0,"2":0,"_":0}],"b":1}',
    ],
    [JSON.parse('{"z":1,"__proto__":{"b":2,"a":1}}'), '{"__proto__":{"a":1,"b":2},"z":1}'],
    [Object.assign(Object.create(null), { b: 1, a: 2 }), '{"a":2,"b":1}'],
    [{ b: { d: 1, c: undefined }, a: [true, null, 'é'] }, '{"a":[true,null,"é"],"b":{"d":1}}'],
  ];
  for (const [value, want] of table) {
    const before = JSON.stringify(value);
    assert.equal(canonicalJson(value), want);
    assert.equal(JSON.stringify(value), before, 'the input is left as it was');
  }
});

test('canonical JSON ignores toJSON, where JSON.stringify would call it', () => {
  const hidden = { b: 1, a: 2 };
  Object.defineProperty(hidden, 'toJSON', { value: () => 'replaced', enumerable: false });
  assert.equal(canonicalJson({ x: hidden }), '{"x":{"a":2,"b":1}}');
  assert.throws(() => canonicalJson({ toJSON: () => 1 }), TypeError);
  const list = [1, 2];
  Object.defineProperty(list, 'toJSON', { value: () => 'replaced', enumerable: false });
  assert.equal(canonicalJson(list), '[1,2]');
});

test('property: canonical JSON equals member-by-member RFC 8785 for any JSON value', () => {
  const keys = fc.oneof(
    fc.string(),
    fc.constantFrom('__proto__', '0', '1', '10', '9', 'toJSON', 'a', 'B', '\u0080', '€'),
  );
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.oneof(
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
      ),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(keys, tie('value'), { maxKeys: 6 }),
    ),
  })).value;
  fc.assert(
    fc.property(json, (value) => {
      assert.equal(canonicalJson(value), reference(value));
    }),
    { numRuns: 1000 },
  );
});
