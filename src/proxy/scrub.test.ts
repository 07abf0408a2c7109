import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  bodyEncoding,
  escapeForBody,
  formEscape,
  jsonEscape,
  secretVariants,
} from './encodings.ts';
import { ScrubRules, StreamScrubber, scrubBuffer, scrubHeaderValue, scrubStream } from './scrub.ts';

const SECRET = 'sk-real/Secret+Value "quoted" é';
const PH = `alk_ph_${'q'.repeat(32)}`;

function rulesFor(secret: string, replacement: string): ScrubRules {
  return new ScrubRules(
    secretVariants(secret).map((v) => ({
      find: Buffer.from(v, 'utf8'),
      replace: Buffer.from(replacement, 'utf8'),
    })),
  );
}

/** Reference: leftmost, then longest, non-overlapping, over the whole text. */
function reference(rules: ScrubRules, data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  let copied = 0;
  while (pos < data.length) {
    const hit = rules.rules.find(
      (r) =>
        pos + r.find.length <= data.length &&
        data.compare(r.find, 0, r.find.length, pos, pos + r.find.length) === 0,
    );
    if (hit === undefined) {
      pos++;
      continue;
    }
    parts.push(data.subarray(copied, pos), hit.replace);
    pos += hit.find.length;
    copied = pos;
  }
  parts.push(data.subarray(copied));
  return Buffer.concat(parts);
}

function streamed(rules: ScrubRules, chunks: readonly Buffer[]): Buffer {
  const s = new StreamScrubber(rules);
  return Buffer.concat([...chunks.map((c) => s.write(c)), s.end()]);
}

describe('encodings', () => {
  it('names the body encoding from Content-Type', () => {
    assert.equal(bodyEncoding('application/json; charset=utf-8'), 'json');
    assert.equal(bodyEncoding('application/vnd.api+json'), 'json');
    assert.equal(bodyEncoding('application/x-ndjson'), 'json');
    assert.equal(bodyEncoding('Application/X-WWW-Form-Urlencoded'), 'form');
    assert.equal(bodyEncoding('multipart/form-data; boundary=x'), 'raw');
    assert.equal(bodyEncoding(undefined), 'raw');
  });

  it('escapes a value so it stays one JSON string or one form field', () => {
    const v = 'a"b\\c\nd&e=f g+h%';
    const json = `{"k":"${escapeForBody(v, 'json').toString()}"}`;
    assert.equal(JSON.parse(json).k, v);
    const form = `k=${escapeForBody(v, 'form').toString()}&z=1`;
    assert.equal(new URLSearchParams(form).get('k'), v);
    assert.equal(new URLSearchParams(form).get('z'), '1');
    assert.equal(escapeForBody(v, 'raw').toString(), v);
  });

  it('lists raw, JSON, percent, form and base64 forms of a secret', () => {
    const v = secretVariants(SECRET);
    assert.ok(v.includes(SECRET));
    assert.ok(v.includes(jsonEscape(SECRET)));
    assert.ok(v.includes(encodeURIComponent(SECRET)));
    assert.ok(v.includes(formEscape(SECRET)));
    const b64 = Buffer.from(SECRET).toString('base64');
    assert.ok(v.some((x) => b64.startsWith(x) && x.length >= b64.length - 4));
    assert.ok(v.some((x) => Buffer.from(SECRET).toString('base64url').startsWith(x)));
  });
});

describe('response scrubbing', () => {
  const rules = rulesFor(SECRET, PH);

  it('replaces the secret in every encoding an echo may use', () => {
    const basic = Buffer.from(`user:${SECRET}`).toString('base64');
    const echoes = [
      SECRET,
      JSON.stringify({ authorization: `Bearer ${SECRET}` }),
      `q=${encodeURIComponent(SECRET)}`,
      `q=${encodeURIComponent(SECRET).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`,
      new URLSearchParams({ q: SECRET }).toString(),
      Buffer.from(SECRET).toString('base64'),
      Buffer.from(SECRET).toString('base64url'),
      `Authorization: Basic ${basic}`,
      Buffer.from(`xy${SECRET}zz`).toString('base64'),
      Buffer.from(`x${SECRET}`).toString('base64url'),
    ];
    for (const e of echoes) {
      const out = scrubBuffer(rules, Buffer.from(e)).toString();
      assert.ok(out.includes(PH), `scrubbed: ${e}`);
      for (const v of secretVariants(SECRET))
        assert.ok(!out.includes(v), `no variant left in ${out}`);
      // No more than a few bits of the value survive at the edges of a base64 form.
      assert.ok(!out.includes('Secret'), out);
    }
  });

  it('scrubs header values as their wire bytes', () => {
    const latin1 = Buffer.from(`Bearer ${SECRET}`, 'utf8').toString('latin1');
    assert.equal(scrubHeaderValue(rules, latin1), `Bearer ${PH}`);
    assert.equal(scrubHeaderValue(rules, 'nothing here'), 'nothing here');
  });

  it('releases text at once when no match can start in it (SSE is not delayed)', () => {
    const s = new StreamScrubber(rules);
    assert.equal(s.write(Buffer.from('data: {"x":1}\n\n')).toString(), 'data: {"x":1}\n\n');
    assert.equal(s.write(Buffer.from('data: sk-re')).toString(), 'data: ');
    assert.equal(s.write(Buffer.from('ad\n\n')).toString(), 'sk-read\n\n');
  });

  it('property: any split into chunks gives the whole-body result, which equals the reference', () => {
    const secrets = fc.constantFrom('abcabcab', 'aaaaaaaaaa', SECRET, 'tok_12345678');
    const piece = fc.oneof(
      fc.constantFrom('abc', 'a', 'sk-', 'tok_', '%2F', 'YWJj', ' ', '"', '\\'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(
        secrets,
        fc.array(
          fc.oneof(
            piece,
            secrets,
            secrets.map((s) => Buffer.from(s).toString('base64')),
          ),
          {
            maxLength: 16,
          },
        ),
        fc.array(fc.nat(), { maxLength: 8 }),
        (secret, parts, points) => {
          const r = rulesFor(secret, '<S>');
          const data = Buffer.from(parts.join(''), 'utf8');
          const whole = scrubBuffer(r, data);
          assert.deepEqual(whole, reference(r, data));
          const cuts = [...new Set(points.map((p) => p % (data.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let prev = 0;
          for (const c of cuts) {
            chunks.push(data.subarray(prev, c));
            prev = c;
          }
          chunks.push(data.subarray(prev));
          assert.deepEqual(streamed(r, chunks), whole);
        },
      ),
      { seed: 99, numRuns: 3000 },
    );
  });

  it('scrubs through a Transform stream, byte by byte', async () => {
    const body = Buffer.from(`echo: ${SECRET} and ${Buffer.from(SECRET).toString('base64')}`);
    const chunks = [...body].map((b) => Buffer.from([b]));
    const out = await buffer(Readable.from(chunks).pipe(scrubStream(rules)));
    assert.equal(
      out.toString(),
      `echo: ${PH} and ${scrubBuffer(rules, Buffer.from(Buffer.from(SECRET).toString('base64'))).toString()}`,
    );
    assert.ok(!out.toString().includes(SECRET));
  });

  it('has nothing to do without rules', () => {
    const empty = new ScrubRules([{ find: Buffer.alloc(0), replace: Buffer.from('x') }]);
    assert.equal(empty.empty, true);
    const data = Buffer.from('abc');
    assert.equal(scrubBuffer(empty, data), data);
  });
});
