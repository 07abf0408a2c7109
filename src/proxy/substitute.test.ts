import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  findPlaceholders,
  isPlaceholder,
  PLACEHOLDER_MAX_LENGTH,
  replacePlaceholders,
} from './placeholder.ts';
import {
  type BodySegment,
  joinSegments,
  PlaceholderSplitter,
  placeholdersIn,
  splitPlaceholders,
} from './substitute.ts';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const P1 = `alk_ph_${'a'.repeat(32)}`;
const P2 = `alk_ph_${'0123456789abcdefghjkmnpqrstvwxyz'}`;

/** The reference: a regular expression for maximal munch over latin1 text. */
const REFERENCE = new RegExp(`alk_ph_[${ALPHABET}]{32,64}(?![${ALPHABET}])`, 'g');

function referenceSubstitute(body: Buffer, replace: (p: string) => string): Buffer {
  return Buffer.from(body.toString('latin1').replace(REFERENCE, replace), 'latin1');
}

function streamed(chunks: readonly Buffer[], replace: (p: string) => Buffer): Buffer {
  const s = new PlaceholderSplitter();
  const segments: BodySegment[] = [];
  for (const c of chunks) segments.push(...s.write(c));
  segments.push(...s.end());
  return joinSegments(segments, replace);
}

/** Splits `body` at the given cut points (sorted, deduplicated, in range). */
function cut(body: Buffer, points: readonly number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (body.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const p of at) {
    out.push(body.subarray(prev, p));
    prev = p;
  }
  out.push(body.subarray(prev));
  return out;
}

/** Bodies built from pieces that stress the matcher: prefixes, runs, partial prefixes. */
const piece = fc.oneof(
  fc.constantFrom('alk_ph_', 'alk_', 'a', 'alk_ph', '_', ' ', '"', '\n', 'é', '\u0000'),
  // The anchor of the search (`_ph_`) without the rest of the prefix before it.
  fc.constantFrom(
    '_ph_',
    'lk_ph_',
    'blk_ph_',
    'al_ph_',
    `blk_ph_${'a'.repeat(32)}`,
    `_ph_${'d'.repeat(33)}`,
  ),
  fc.stringMatching(/^[0-9a-hjkmnp-tv-z]{0,70}$/),
  fc.constantFrom(
    P1,
    P2,
    `${P1}x`,
    `${P1}!`,
    `alk_ph_${'b'.repeat(64)}`,
    `alk_ph_${'c'.repeat(65)}`,
  ),
  fc.string({ maxLength: 8 }),
);
const body = fc.array(piece, { maxLength: 20 }).map((parts) => Buffer.from(parts.join(''), 'utf8'));

const tag = (p: string): string => `<${p.length}:${p.slice(7, 11)}>`;

describe('placeholder syntax', () => {
  it('accepts alk_ph_ and 32..64 base32 characters, nothing else', () => {
    assert.equal(isPlaceholder(P1), true);
    assert.equal(isPlaceholder(`alk_ph_${'a'.repeat(64)}`), true);
    assert.equal(isPlaceholder(`alk_ph_${'a'.repeat(31)}`), false);
    assert.equal(isPlaceholder(`alk_ph_${'a'.repeat(65)}`), false);
    assert.equal(isPlaceholder(`alk_ph_${'A'.repeat(32)}`), false);
    assert.equal(isPlaceholder(`alk_ph_${'u'.repeat(32)}`), false);
    assert.equal(isPlaceholder(`${P1}\n`), false);
  });

  it('finds placeholders in text by maximal munch', () => {
    assert.deepEqual(findPlaceholders(`Bearer ${P1}`), [P1]);
    assert.deepEqual(findPlaceholders(`${P1}&${P2}/${P1}`), [P1, P2, P1]);
    assert.deepEqual(findPlaceholders(`${P1}b`), [`${P1}b`]);
    assert.deepEqual(findPlaceholders(`alk_ph_${'c'.repeat(65)}`), []);
    // The next prefix may start on the last character of a run that was too long.
    assert.deepEqual(findPlaceholders(`alk_ph_${'c'.repeat(65)}alk_ph_${'d'.repeat(40)}`), [
      `alk_ph_${'d'.repeat(40)}`,
    ]);
    assert.deepEqual(findPlaceholders(`alk_ph_${'c'.repeat(64)}_alk_ph_${'d'.repeat(40)}`), [
      `alk_ph_${'c'.repeat(64)}`,
      `alk_ph_${'d'.repeat(40)}`,
    ]);
  });

  it('replaces in text exactly as the reference does', () => {
    fc.assert(
      fc.property(body, (b) => {
        const text = b.toString('latin1');
        assert.equal(
          replacePlaceholders(text, tag),
          referenceSubstitute(b, tag).toString('latin1'),
        );
      }),
      { seed: 17, numRuns: 2000 },
    );
  });
});

describe('streaming substitution', () => {
  it('splits a body into bytes and placeholders', () => {
    const segs = splitPlaceholders(Buffer.from(`{"k":"${P1}","j":"${P2}"}`));
    assert.deepEqual(placeholdersIn(segs), [P1, P2]);
    assert.equal(segs.length, 5);
  });

  it('takes only the whole prefix: text that shares its tail is text', () => {
    const near = `blk_ph_${'a'.repeat(32)} lk_ph_${'b'.repeat(40)} _ph_${'c'.repeat(32)}`;
    assert.deepEqual(splitPlaceholders(Buffer.from(near)), [
      { kind: 'bytes', bytes: Buffer.from(near) },
    ]);
    const mixed = splitPlaceholders(Buffer.from(`${'a'.repeat(5000)}${P1}${'a'.repeat(5000)}`));
    assert.deepEqual(placeholdersIn(mixed), []);
    const after = splitPlaceholders(Buffer.from(`${'a'.repeat(5000)}${P1}-`));
    assert.deepEqual(placeholdersIn(after), [P1]);
  });

  it('finds a placeholder split at every byte', () => {
    const whole = Buffer.from(`x=${P1}&y=1`);
    for (let i = 0; i <= whole.length; i++) {
      const out = streamed([whole.subarray(0, i), whole.subarray(i)], () => Buffer.from('V'));
      assert.equal(out.toString(), 'x=V&y=1', `split at ${i}`);
    }
  });

  it('holds back at most one placeholder and releases the rest at once', () => {
    const s = new PlaceholderSplitter();
    const out = s.write(Buffer.from(`data: hello\n\n${P1.slice(0, 20)}`));
    assert.deepEqual(out, [{ kind: 'bytes', bytes: Buffer.from('data: hello\n\n') }]);
    const plain = s.write(Buffer.from('zzz!'));
    assert.equal(
      Buffer.concat(plain.map((p) => (p.kind === 'bytes' ? p.bytes : Buffer.alloc(0)))).length,
      24,
    );
    // A bare run never grows past the longest placeholder plus one.
    const t = new PlaceholderSplitter();
    t.write(Buffer.from('alk_ph_'));
    const long = t.write(Buffer.from('a'.repeat(200)));
    const released = long.reduce((n, p) => n + (p.kind === 'bytes' ? p.bytes.length : 0), 0);
    assert.ok(207 - released <= PLACEHOLDER_MAX_LENGTH + 1);
  });

  it('property: for any body and any split into chunks, the streamed result equals substituting the whole body', () => {
    fc.assert(
      fc.property(body, fc.array(fc.nat(), { maxLength: 12 }), (b, points) => {
        const replace = (p: string): Buffer => Buffer.from(tag(p));
        const expected = referenceSubstitute(b, tag);
        assert.deepEqual(streamed(cut(b, points), replace), expected);
        assert.deepEqual(joinSegments(splitPlaceholders(b), replace), expected);
      }),
      { seed: 42, numRuns: 3000 },
    );
  });

  it('property: one byte at a time equals the whole', () => {
    fc.assert(
      fc.property(body, (b) => {
        const bytes = [...b].map((x) => Buffer.from([x]));
        const replace = (p: string): Buffer => Buffer.from(tag(p));
        assert.deepEqual(streamed(bytes, replace), referenceSubstitute(b, tag));
      }),
      { seed: 7, numRuns: 500 },
    );
  });
});
