import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  isOpaqueSegment,
  MAX_REQUEST_TARGET,
  type NormalizedPath,
  normalizePath,
} from './index.ts';

function ok(target: string): NormalizedPath {
  const r = normalizePath(target);
  assert.ok(r.ok, `expected ${JSON.stringify(target)} to normalise`);
  return r;
}

/** RFC 3986 §5.2.4 remove_dot_segments, written as the RFC's string loop: the reference. */
function removeDotSegments(path: string): string {
  let input = path;
  let output = '';
  while (input !== '') {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../')) {
      input = input.slice(3);
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '/..') {
      input = '/';
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', input.startsWith('/') ? 1 : 0);
      const end = next < 0 ? input.length : next;
      output += input.slice(0, end);
      input = input.slice(end);
    }
  }
  return output;
}

describe('normalizePath', () => {
  const cases: [string, string, string[], string][] = [
    ['/', '/', [''], ''],
    ['/a', '/a', ['a'], ''],
    ['/a/', '/a/', ['a', ''], ''],
    ['/a/b?x=1&y=2', '/a/b', ['a', 'b'], 'x=1&y=2'],
    ['/a?', '/a', ['a'], ''],
    ['/a?b/../c', '/a', ['a'], 'b/../c'],
    ['/a/../b', '/b', ['b'], ''],
    ['/a/./b', '/a/b', ['a', 'b'], ''],
    ['/a/%2e%2e/b', '/b', ['b'], ''],
    ['/a/%2E%2E/b', '/b', ['b'], ''],
    ['/a/.%2e/b', '/b', ['b'], ''],
    ['/a/%2e/b', '/a/b', ['a', 'b'], ''],
    ['/a/b/..', '/a/', ['a', ''], ''],
    ['/a/b/.', '/a/b/', ['a', 'b', ''], ''],
    ['/..', '/', [''], ''],
    ['/../../etc/passwd', '/etc/passwd', ['etc', 'passwd'], ''],
    ['/a%2Fb', '/a%2Fb', ['a%2Fb'], ''],
    ['/a%2fb', '/a%2Fb', ['a%2Fb'], ''],
    ['/a/b%5c..', '/a/b%5C..', ['a', 'b%5C..'], ''],
    ['/a/b\\..\\..\\c', '/a/b\\..\\..\\c', ['a', 'b\\..\\..\\c'], ''],
    ['/a%2F..%2F..%2Fadmin', '/a%2F..%2F..%2Fadmin', ['a%2F..%2F..%2Fadmin'], ''],
    ['//', '//', ['', ''], ''],
    ['//a//b', '//a//b', ['', 'a', '', 'b'], ''],
    ['/a//../b', '/a/b', ['a', 'b'], ''],
    ['/%41%62%7e%2D%5f%2E', '/Ab~-_.', ['Ab~-_.'], ''],
    ['/%3a%40%25%20', '/%3A%40%25%20', ['%3A%40%25%20'], ''],
    ['/%252e%252e/x', '/%252e%252e/x', ['%252e%252e', 'x'], ''],
    ['/a;b/c', '/a;b/c', ['a;b', 'c'], ''],
    ['/a/...', '/a/...', ['a', '...'], ''],
    ['/*', '/*', ['*'], ''],
  ];
  for (const [input, path, segments, query] of cases) {
    test(`${input} → ${path}`, () => {
      assert.deepEqual(normalizePath(input), { ok: true, path, segments, query });
    });
  }

  const bad: [string, string][] = [
    ['', 'empty'],
    ['a/b', 'relative'],
    ['*', 'asterisk-form'],
    ['http://x/a', 'absolute-form'],
    ['/a b', 'space'],
    ['/a\tb', 'tab'],
    ['/a\r\nHost: evil', 'CRLF'],
    ['/a\0', 'NUL'],
    ['/a\x7f', 'DEL'],
    ['/ä', 'non-ASCII'],
    ['/a#frag', 'fragment'],
    ['/a?x#frag', 'fragment after query'],
    ['/a?x y', 'space in query'],
    ['/a%', 'truncated percent'],
    ['/a%2', 'short percent'],
    ['/a%zz', 'non-hex percent'],
    ['/a/..;/admin', 'path parameter on ..'],
    ['/a/.;x/b', 'path parameter on .'],
    ['/a/%2e%2e;/admin', 'path parameter on encoded ..'],
    ['/a/..%3b/admin', 'encoded semicolon on ..'],
    [`/${'a'.repeat(MAX_REQUEST_TARGET)}`, 'too long'],
  ];
  for (const [input, why] of bad) {
    test(`refuses ${why}`, () => {
      const r = normalizePath(input);
      assert.equal(r.ok, false);
      if (!r.ok) assert.ok(!r.reason.includes(input) || input === '');
    });
  }

  test('a caller passing a non-string is a TypeError', () => {
    assert.throws(() => normalizePath(undefined as unknown as string), TypeError);
  });

  const pathChars = fc.constantFrom(
    '/',
    '/',
    '.',
    '.',
    'a',
    'b',
    '%',
    '2',
    'e',
    'E',
    'f',
    'F',
    '5',
    'c',
    'C',
    '3',
    'b',
    ';',
    '?',
    '\\',
    '4',
    '1',
    '~',
    '-',
    '_',
    'z',
    '0',
    '7',
  );
  const targets = fc
    .array(
      fc.oneof({ weight: 5, arbitrary: pathChars }, fc.string({ minLength: 1, maxLength: 1 })),
      {
        maxLength: 40,
      },
    )
    .map((cs) => `/${cs.join('')}`);

  test('is idempotent', () => {
    fc.assert(
      fc.property(targets, (target) => {
        const first = normalizePath(target);
        if (!first.ok) return;
        const again = normalizePath(
          first.query === '' ? first.path : `${first.path}?${first.query}`,
        );
        assert.deepEqual(again, first);
      }),
      { seed: 1234, numRuns: 3000 },
    );
  });

  test('leaves no dot segment and agrees with segments', () => {
    fc.assert(
      fc.property(targets, (target) => {
        const r = normalizePath(target);
        if (!r.ok) return;
        assert.equal(r.path, `/${r.segments.join('/')}`);
        for (const s of r.segments) assert.ok(s !== '.' && s !== '..', r.path);
        assert.ok(!/%[0-9A-F]?[a-f]/.test(r.path), 'hex is upper case');
      }),
      { seed: 4321, numRuns: 3000 },
    );
  });

  test('removes dot segments exactly as RFC 3986 §5.2.4 does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', 'b', '.', '..', '', 'c.d'), { minLength: 1, maxLength: 8 }),
        (segs) => {
          const target = `/${segs.join('/')}`;
          assert.equal(ok(target).path, removeDotSegments(target), target);
        },
      ),
      { seed: 5, numRuns: 2000 },
    );
  });
});

describe('isOpaqueSegment', () => {
  const cases: [string, boolean][] = [
    ['a', false],
    ['a%2Fb', true],
    ['a%5Cb', true],
    ['a\\b', true],
    // Double-encoded and overlong forms decode to `/` or `.` on lenient servers.
    ['%252F', true],
    ['%252e%252e', true],
    ['%C0%AE', true],
    ['%2525', false],
    ['%2E', false],
  ];
  for (const [seg, want] of cases) test(seg, () => assert.equal(isOpaqueSegment(seg), want));
});
