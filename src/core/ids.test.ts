import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId, newTimeOrderedId } from './ids.ts';

const FORM = /^evt_[0-9a-hjkmnp-tv-z]{26}$/;

test('a time-ordered id has the form of a random one', () => {
  assert.match(newId('evt'), FORM);
  assert.match(newTimeOrderedId('evt', Date.now()), FORM);
});

test('time-ordered ids sort by their time, whatever their random part', () => {
  const times = [0, 1, 999, 1_000, 1_700_000_000_000, 1_700_000_000_001, 2 ** 41, 2 ** 48 - 1];
  for (let round = 0; round < 50; round++) {
    const ids = times.map((t) => newTimeOrderedId('evt', t));
    assert.deepEqual([...ids].sort(), ids);
  }
});

test('time-ordered ids made in the same millisecond are still distinct', () => {
  const ids = new Set<string>();
  for (let i = 0; i < 10_000; i++) ids.add(newTimeOrderedId('evt', 1_700_000_000_000));
  assert.equal(ids.size, 10_000);
});

test('the first ten characters carry the time; the rest are random', () => {
  const a = newTimeOrderedId('evt', 1_700_000_000_000);
  const b = newTimeOrderedId('evt', 1_700_000_000_000);
  // 48 bits of time fill 9 characters and 3 bits of the tenth.
  assert.equal(a.slice(0, 4 + 9), b.slice(0, 4 + 9));
  assert.notEqual(a.slice(4 + 10), b.slice(4 + 10));
});

test('a time out of range is clamped, not refused: the id only needs to be unique', () => {
  const low = newTimeOrderedId('evt', 0).slice(0, 13);
  const high = newTimeOrderedId('evt', 2 ** 48 - 1).slice(0, 13);
  for (const t of [-5, Number.NaN, Number.NEGATIVE_INFINITY]) {
    const id = newTimeOrderedId('evt', t);
    assert.match(id, FORM);
    assert.equal(id.slice(0, 13), low);
  }
  for (const t of [2 ** 48, 2 ** 60, Number.POSITIVE_INFINITY]) {
    const id = newTimeOrderedId('evt', t);
    assert.match(id, FORM);
    assert.equal(id.slice(0, 13), high);
  }
  assert.match(newTimeOrderedId('evt', 1.75), FORM);
});
