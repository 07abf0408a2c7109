import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Needle } from './needle.ts';

/** Bytes from a three-letter alphabet, so needles and their near misses occur often. */
const bytes = (max: number) =>
  fc.array(fc.constantFrom(0x61, 0x62, 0x5f), { maxLength: max }).map((a) => Buffer.from(a));

describe('Needle', () => {
  it('finds what Buffer.indexOf finds, from any offset', () => {
    fc.assert(
      fc.property(bytes(60), bytes(6), fc.nat(70), (data, find, from) => {
        fc.pre(find.length > 0);
        assert.equal(new Needle(find).indexIn(data, from), data.indexOf(find, from));
      }),
      { seed: 11, numRuns: 5000 },
    );
  });

  it('finds a needle in a run of its own first byte', () => {
    const data = Buffer.concat([Buffer.alloc(4096, 0x61), Buffer.from('alk_ph_x')]);
    assert.equal(new Needle(Buffer.from('alk_ph_')).indexIn(data, 0), 4096);
    assert.equal(new Needle(Buffer.from('alk_ph_')).indexIn(data, 4097), -1);
    assert.equal(new Needle(Buffer.from('aaa')).indexIn(data, 10), 10);
    // The anchor ('lk') is found, but the byte before it must match too.
    assert.equal(new Needle(Buffer.from('blk')).indexIn(Buffer.from('alk blk'), 0), 4);
  });
});
