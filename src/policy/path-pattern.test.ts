import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAirlockError } from '../core/index.ts';
import {
  matchPath,
  normalizePath,
  type PathPattern,
  parsePathPattern,
  patternContains,
} from './index.ts';

function segs(target: string): readonly string[] {
  const r = normalizePath(target);
  assert.ok(r.ok, target);
  return r.segments;
}

function matches(pattern: string, target: string): boolean {
  return matchPath(parsePathPattern(pattern), { segments: segs(target) });
}

describe('parsePathPattern', () => {
  const canonical: [string, string][] = [
    ['/', '/'],
    ['/**', '/**'],
    ['/a/*', '/a/*'],
    ['/a/*/c/**', '/a/*/c/**'],
    ['/a/', '/a/'],
    ['/%7Euser/%2fx', '/~user/%2Fx'],
    ['/v1/chat/completions', '/v1/chat/completions'],
  ];
  for (const [input, source] of canonical) {
    test(`${input} → ${source}`, () => assert.equal(parsePathPattern(input).source, source));
  }

  const bad: [string, string][] = [
    ['', 'empty'],
    ['a/b', 'relative'],
    ['/**/a', '** not last'],
    ['/a/**/**', 'two **'],
    ['/a*', 'partial *'],
    ['/a/b*c', 'inner *'],
    ['/***', 'triple *'],
    ['/a//b', 'empty middle segment'],
    ['//', 'empty first segment'],
    ['/a/../b', 'dot-dot'],
    ['/a/./b', 'dot'],
    ['/a/%2e%2e/b', 'encoded dot-dot'],
    ['/a?x', 'query'],
    ['/a#x', 'fragment'],
    ['/a b', 'space'],
    ['/a\nb', 'newline'],
    ['/%zz', 'bad percent'],
    [`/${'a'.repeat(2000)}`, 'too long'],
  ];
  for (const [input, why] of bad) {
    test(`refuses ${why}`, (t) => {
      t.plan(1);
      try {
        parsePathPattern(input);
      } catch (err) {
        t.assert.equal(isAirlockError(err, 'ERR_INVALID_ARGUMENT'), true);
      }
    });
  }
});

describe('matchPath', () => {
  const cases: [string, string, boolean][] = [
    ['/**', '/', true],
    ['/**', '/a/b/c', true],
    ['/**', '//', true],
    ['/**', '/a%2Fb', false],
    ['/**', '/a/b%5c..', false],
    ['/**', '/a/b\\c', false],
    ['/a/**', '/a', true],
    ['/a/**', '/a/', true],
    ['/a/**', '/a/b/c', true],
    ['/a/**', '/ab', false],
    ['/a/**', '/b/a', false],
    ['/a/**', '/a/../b', false],
    ['/a/**', '/a/%2e%2e/b', false],
    ['/a/**', '/a/x/../../b', false],
    ['/a/**', '/a/x/../y', true],
    ['/a/**', '/a%2Fb', false],
    ['/a/*', '/a/b', true],
    ['/a/*', '/a/b?x=1', true],
    ['/a/*', '/a', false],
    ['/a/*', '/a/', false],
    ['/a/*', '/a/b/c', false],
    ['/a/*', '/a/b%2Fc', false],
    ['/a/*', '/a/b%2fc', false],
    ['/a/*', '/a/b%5Cc', false],
    ['/a/*', '/a/..%2F..%2Fadmin', false],
    ['/a/*/c', '/a//c', false],
    ['/a/*/c', '/a/b/c', true],
    ['/a/b', '/a/b', true],
    ['/a/b', '/A/b', false],
    ['/a/b', '/a/b/', false],
    ['/a/b', '/a//b', false],
    ['/a/b', '/a/%62', true],
    ['/a/~b', '/a/%7eb', true],
    ['/a%2Fb', '/a%2fb', true],
    ['/a%2Fb', '/a/b', false],
    ['/a/', '/a/', true],
    ['/a/', '/a', false],
    ['/', '/', true],
    ['/', '/a', false],
    ['/users/*/repos', '/users/x/repos', true],
    ['/users/*/repos', '/users/x/y/repos', false],
  ];
  for (const [pattern, target, want] of cases) {
    test(`${pattern} ${want ? 'matches' : 'does not match'} ${target}`, () => {
      assert.equal(matches(pattern, target), want);
    });
  }
});

const patternArb = fc
  .tuple(
    fc.array(fc.constantFrom('a', 'b', '*', 'x%2Fy'), { maxLength: 3 }),
    fc.constantFrom(null, '', '**'),
  )
  .map(([body, tail]) => `/${(tail === null ? body : [...body, tail]).join('/')}`);

const pathSegmentArb = fc.constantFrom('a', 'b', 'c', '', 'x%2Fy');
const pathArb = fc
  .array(pathSegmentArb, { minLength: 1, maxLength: 5 })
  .map((s) => `/${s.join('/')}`);

/** Every path over `alphabet` with 1..maxLen segments. */
function* allPaths(alphabet: readonly string[], maxLen: number): Generator<string[]> {
  for (let len = 1; len <= maxLen; len++) {
    const idx = new Array<number>(len).fill(0);
    for (;;) {
      yield idx.map((i) => alphabet[i] ?? '');
      let k = len - 1;
      while (k >= 0 && idx[k] === alphabet.length - 1) idx[k--] = 0;
      if (k < 0) break;
      idx[k] = (idx[k] ?? 0) + 1;
    }
  }
}

describe('patternContains', () => {
  const cases: [string, string, boolean][] = [
    ['/**', '/**', true],
    ['/**', '/', true],
    ['/**', '/a/*/b/**', true],
    ['/**', '/a%2Fb', false],
    ['/a/**', '/a', true],
    ['/a/**', '/a/**', true],
    ['/a/**', '/a/b/*', true],
    ['/a/**', '/**', false],
    ['/a/**', '/b/**', false],
    ['/a/*', '/a/b', true],
    ['/a/*', '/a/*', true],
    ['/a/*', '/a/**', false],
    ['/a/*', '/a/', false],
    ['/a/*', '/a/b/c', false],
    ['/a/*', '/a/x%2Fy', false],
    ['/a/b', '/a/b', true],
    ['/a/b', '/a/*', false],
    ['/a/b', '/a/b/**', false],
    ['/a/*/**', '/a/**', false],
    ['/a/*/**', '/a/b/**', true],
    ['/*', '/', false],
    ['/', '/', true],
    ['/a/', '/a/', true],
    ['/a/**', '/a/', true],
  ];
  for (const [outer, inner, want] of cases) {
    test(`${outer} ${want ? 'contains' : 'does not contain'} ${inner}`, () => {
      assert.equal(patternContains(parsePathPattern(outer), parsePathPattern(inner)), want);
    });
  }

  test('a path an inner pattern matches is matched by every pattern containing it', () => {
    fc.assert(
      fc.property(patternArb, patternArb, pathArb, (o, i, p) => {
        const outer = parsePathPattern(o);
        const inner = parsePathPattern(i);
        const path = { segments: segs(p) };
        if (patternContains(outer, inner) && matchPath(inner, path)) {
          assert.ok(matchPath(outer, path), `${o} ⊇ ${i} but not on ${p}`);
        }
      }),
      { seed: 2024, numRuns: 5000 },
    );
  });

  test('is exact: when it says no, some path proves it', () => {
    const alphabet = ['a', 'b', 'z', '', 'x%2Fy'];
    const witness = (outer: PathPattern, inner: PathPattern): boolean => {
      const maxLen = Math.max(outer.segments.length, inner.segments.length) + 1;
      for (const s of allPaths(alphabet, maxLen)) {
        const path = { segments: s };
        if (matchPath(inner, path) && !matchPath(outer, path)) return true;
      }
      return false;
    };
    fc.assert(
      fc.property(patternArb, patternArb, (o, i) => {
        const outer = parsePathPattern(o);
        const inner = parsePathPattern(i);
        assert.equal(patternContains(outer, inner), !witness(outer, inner), `${o} ⊇ ${i}`);
      }),
      { seed: 77, numRuns: 300 },
    );
  });
});
