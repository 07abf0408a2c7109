import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAirlockError } from '../core/index.ts';
import {
  type Binding,
  formatScope,
  intersectPatterns,
  intersectScope,
  matchPath,
  normalizePath,
  parsePathPattern,
  parseScope,
  parseScopeEntry,
  requireScopeWithin,
  type Scope,
  type ScopeEntry,
  scopeAllows,
  scopeBindings,
  scopeContains,
  scopeFromBindings,
  selectBinding,
  unionCovers,
} from './index.ts';

const FC = { seed: 4242, numRuns: 150 } as const;

function segs(target: string): readonly string[] {
  const r = normalizePath(target);
  assert.ok(r.ok, target);
  return r.segments;
}

function allows(scope: Scope, service: string, method: string, target: string): boolean {
  return scopeAllows(scope, { service, method, path: { segments: segs(target) } });
}

describe('parseScope', () => {
  const round: [string, ScopeEntry, string][] = [
    ['github', { service: 'github', methods: null, paths: ['/**'] }, 'github'],
    ['github:*', { service: 'github', methods: null, paths: ['/**'] }, 'github'],
    ['github:get', { service: 'github', methods: ['GET'], paths: ['/**'] }, 'github:GET'],
    [
      'github:GET,POST:/repos/acme/*/issues/**',
      { service: 'github', methods: ['GET', 'POST'], paths: ['/repos/acme/*/issues/**'] },
      'github:GET,POST:/repos/acme/*/issues/**',
    ],
    [
      'gh:*:/a,/b/%7Ex,/a',
      { service: 'gh', methods: null, paths: ['/a', '/b/~x'] },
      'gh:*:/a,/b/~x',
    ],
    [
      'api:GET:/v1/x:y',
      { service: 'api', methods: ['GET'], paths: ['/v1/x:y'] },
      'api:GET:/v1/x:y',
    ],
  ];
  for (const [spec, entry, canonical] of round) {
    test(`${spec} → ${canonical}`, () => {
      assert.deepEqual(parseScopeEntry(spec), entry);
      assert.equal(formatScope([parseScopeEntry(spec)]), canonical);
      assert.deepEqual(parseScopeEntry(canonical), entry);
    });
  }

  test('space-separated specs, repeated flags, duplicates dropped', () => {
    const scope = parseScope(['github:GET slack', 'github:get']);
    assert.equal(formatScope(scope), 'github:GET slack');
  });

  const bad: [string, string][] = [
    ['', 'empty'],
    ['1github', 'name starts with a digit'],
    ['git/hub', 'slash in a name'],
    ['github:', 'empty methods'],
    ['github:GE;T', 'bad method'],
    ['github:GET:', 'empty paths'],
    ['github:GET:repos', 'relative path'],
    ['github:GET:/a/**/b', '** in the middle'],
    ['github:GET:/a,', 'empty pattern in list'],
    ['github:GET:/a?x=1', 'query in a pattern'],
  ];
  for (const [spec, why] of bad) {
    test(`refuses ${why}`, (t) => {
      t.plan(1);
      try {
        parseScope(spec);
      } catch (err) {
        t.assert.equal(isAirlockError(err, 'ERR_INVALID_SCOPE'), true);
      }
    });
  }

  test('refuses too many specs', (t) => {
    t.plan(1);
    const many = Array.from({ length: 40 }, (_, i) => `svc${i}`);
    t.assert.throws(
      () => parseScope(many),
      (err) => isAirlockError(err, 'ERR_INVALID_SCOPE'),
    );
  });
});

describe('scopeContains (table)', () => {
  const cases: [string, string, boolean][] = [
    ['github', 'github:GET:/repos/**', true],
    ['github:GET', 'github', false],
    ['github:GET,POST', 'github:POST:/x', true],
    ['github:GET:/repos/**', 'github:GET:/repos/a/b', true],
    ['github:GET:/repos/*', 'github:GET:/repos/**', false],
    // Exact over unions: two entries together cover what neither covers alone.
    ['github:GET:/a/x github:GET:/a/*', 'github:GET:/a/*', true],
    ['github:GET:/a github:GET:/a/*/**', 'github:GET:/a/**', false],
    ['github:GET:/a/** github:POST:/a/**', 'github:GET,POST:/a/b', true],
    ['github:GET github:*:/x', 'github:*:/x', true],
    ['github:GET github:POST', 'github', false],
    ['github', 'slack', false],
    ['github:*:/a/*', 'github:*:/a/x%2Fy', false],
    ['github:*:/a/x%2Fy', 'github:*:/a/x%2Fy', true],
  ];
  for (const [outer, inner, want] of cases) {
    test(`${inner} ${want ? '⊆' : '⊄'} ${outer}`, () => {
      assert.equal(scopeContains(parseScope(outer), parseScope(inner)), want);
    });
  }

  test('requireScopeWithin refuses wider, names the entry, never clips', (t) => {
    t.plan(3);
    const parent = parseScope('github:GET:/repos/acme/**');
    requireScopeWithin(
      parent,
      parseScope('github:GET:/repos/acme/app'),
      'ERR_SCOPE_EXCEEDS_PARENT',
    );
    try {
      requireScopeWithin(parent, parseScope('github:GET:/repos/**'), 'ERR_SCOPE_EXCEEDS_PARENT');
    } catch (err) {
      t.assert.equal(isAirlockError(err, 'ERR_SCOPE_EXCEEDS_PARENT'), true);
      t.assert.match((err as Error).message, /github:GET:\/repos\/\*\* is wider than the parent/);
    }
    try {
      requireScopeWithin(parent, parseScope('slack'), 'ERR_SCOPE_EXCEEDS_GRANT');
    } catch (err) {
      t.assert.equal(isAirlockError(err, 'ERR_SCOPE_EXCEEDS_GRANT'), true);
    }
  });
});

// A small universe in which every difference between two generated scopes
// shows: the literals the generators use, one segment they never name (z),
// the empty segment, and an opaque one; paths up to four segments.
const SEGMENTS = ['a', 'b', 'z', '', 'x%2Fy'];
const METHODS = ['GET', 'POST', 'DELETE', 'PATCH'];
const SERVICES = ['s1', 's2'];
const PATHS: string[] = (() => {
  const out: string[] = [];
  let level: string[] = [''];
  for (let n = 1; n <= 4; n++) {
    level = level.flatMap((p) => SEGMENTS.map((s) => `${p}/${s}`));
    out.push(...level);
  }
  return out;
})();
const PATH_SEGS = PATHS.map((p) => ({ target: p, segments: segs(p) }));

const patternArb = fc
  .tuple(
    fc.array(fc.constantFrom('a', 'b', '*', 'x%2Fy'), { minLength: 0, maxLength: 3 }),
    fc.constantFrom('', '/**', '/'),
  )
  .map(([parts, tail]) => {
    const body = parts.length === 0 ? '' : `/${parts.join('/')}`;
    return tail === '' && body === '' ? '/' : body + tail;
  })
  .map((text) => parsePathPattern(text).source);

const entryArb: fc.Arbitrary<ScopeEntry> = fc.record({
  service: fc.constantFrom(...SERVICES),
  methods: fc.option(fc.uniqueArray(fc.constantFrom('GET', 'POST', 'DELETE'), { minLength: 1 }), {
    nil: null,
  }),
  paths: fc.uniqueArray(patternArb, { minLength: 1, maxLength: 3 }),
});
const scopeArb = fc.array(entryArb, { minLength: 1, maxLength: 3 });

function everyRequest(
  fn: (service: string, method: string, path: (typeof PATH_SEGS)[number]) => void,
): void {
  for (const service of SERVICES)
    for (const method of METHODS) for (const path of PATH_SEGS) fn(service, method, path);
}

function allowsSeg(scope: Scope, service: string, method: string, segments: readonly string[]) {
  return scopeAllows(scope, { service, method, path: { segments } });
}

describe('scope properties (fast-check)', () => {
  test('contains agrees with allows on every request of the universe', () => {
    const innerArb = fc.oneof(
      scopeArb,
      fc
        .tuple(scopeArb, scopeArb)
        .map(([a, b]) => intersectScope(a, b))
        .filter((s) => s.length > 0),
    );
    fc.assert(
      fc.property(scopeArb, innerArb, (outer, inner) => {
        const contained = scopeContains(outer, inner);
        let witness = false;
        everyRequest((service, method, { segments }) => {
          if (
            allowsSeg(inner, service, method, segments) &&
            !allowsSeg(outer, service, method, segments)
          ) {
            witness = true;
          }
        });
        assert.equal(contained, !witness);
      }),
      FC,
    );
  });

  test('a delegated scope never allows what its parent forbids', () => {
    fc.assert(
      fc.property(scopeArb, scopeArb, (parent, asked) => {
        const child = intersectScope(parent, asked);
        assert.ok(scopeContains(parent, child));
        everyRequest((service, method, { segments }) => {
          if (allowsSeg(child, service, method, segments)) {
            assert.ok(allowsSeg(parent, service, method, segments));
          }
        });
      }),
      FC,
    );
  });

  test('intersectScope allows exactly what both allow', () => {
    fc.assert(
      fc.property(scopeArb, scopeArb, (a, b) => {
        const both = intersectScope(a, b);
        everyRequest((service, method, { segments }) => {
          assert.equal(
            allowsSeg(both, service, method, segments),
            allowsSeg(a, service, method, segments) && allowsSeg(b, service, method, segments),
          );
        });
      }),
      FC,
    );
  });

  test('intersectPatterns and unionCovers agree with matchPath', () => {
    fc.assert(
      fc.property(
        patternArb,
        fc.uniqueArray(patternArb, { minLength: 1, maxLength: 4 }),
        (p, qs) => {
          const pp = parsePathPattern(p);
          const union = qs.map((q) => parsePathPattern(q));
          const first = union[0];
          assert.ok(first !== undefined);
          const meet = intersectPatterns(pp, first);
          if (meet !== null) assert.deepEqual(parsePathPattern(meet.source), meet);
          let escapes = false;
          for (const { segments } of PATH_SEGS) {
            const inP = matchPath(pp, { segments });
            const both: boolean = inP && matchPath(first, { segments });
            assert.equal(meet !== null && matchPath(meet, { segments }), both);
            if (inP && !union.some((q) => matchPath(q, { segments }))) escapes = true;
          }
          assert.equal(unionCovers(pp, union), !escapes);
        },
      ),
      FC,
    );
  });
});

describe('scopes and bindings', () => {
  const binding = (
    serviceName: string,
    pathSets: string[][],
    methods: string[] | null,
  ): Binding => ({
    grantId: `grt_${serviceName}`,
    serviceName,
    secretName: 'tok',
    scheme: 'https',
    hosts: [{ pattern: `${serviceName}.example.com`, port: 443 }],
    pathSets,
    methods,
    auth: { kind: 'bearer' },
    expiresAt: null,
  });

  test('scopeFromBindings intersects path sets and skips expired grants', () => {
    const scope = scopeFromBindings(
      [
        binding('github', [['/**'], ['/repos/*/issues/**']], ['GET']),
        { ...binding('slack', [['/**']], null), expiresAt: 100 },
      ],
      100,
    );
    assert.equal(formatScope(scope), 'github:GET:/repos/*/issues/**');
  });

  test('scopeBindings enforces the scope, not the wider grant', () => {
    const grants = [
      binding('github', [['/**']], ['GET', 'POST']),
      binding('slack', [['/**']], null),
    ];
    const narrowed = scopeBindings(grants, parseScope('github:GET:/repos/acme/**'));
    assert.equal(narrowed.length, 1);
    const pick = (method: string, target: string) =>
      selectBinding(narrowed, method, { segments: segs(target) });
    assert.notEqual(pick('GET', '/repos/acme/x'), null);
    assert.equal(pick('POST', '/repos/acme/x'), null);
    assert.equal(pick('GET', '/repos/other'), null);
    assert.ok(allows(parseScope('github:GET:/repos/acme/**'), 'github', 'GET', '/repos/acme'));
  });
});
