import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAirlockError } from '../core/index.ts';
import {
  buildBinding,
  matchPath,
  normalizePath,
  parsePathPattern,
  parseServiceSpec,
  selectBinding,
  validateGrantNarrowing,
} from './index.ts';

const service = parseServiceSpec({
  hosts: ['api.example.com'],
  paths: ['/v1/**', '/files/*'],
  methods: ['GET', 'POST'],
  auth: { kind: 'bearer' },
  secret: 'K',
});
const open = parseServiceSpec({
  hosts: ['api.example.com'],
  auth: { kind: 'bearer' },
  secret: 'K',
});

function wider(fn: () => unknown): void {
  assert.throws(
    fn,
    (err: unknown) =>
      isAirlockError(err, 'ERR_INVALID_ARGUMENT') &&
      err.message.startsWith('grant is wider than service'),
  );
}

describe('validateGrantNarrowing', () => {
  const ok: [string, unknown, unknown, unknown][] = [
    ['inherits everything', null, null, { methods: null, paths: null }],
    ['narrower methods', ['get'], null, { methods: ['GET'], paths: null }],
    ['same methods', ['POST', 'GET'], null, { methods: ['POST', 'GET'], paths: null }],
    ['narrower paths', null, ['/v1/chat/*'], { methods: null, paths: ['/v1/chat/*'] }],
    ['same path', null, ['/v1/**'], { methods: null, paths: ['/v1/**'] }],
    ['apex of **', null, ['/v1'], { methods: null, paths: ['/v1'] }],
    ['one file', null, ['/files/a'], { methods: null, paths: ['/files/a'] }],
    ['canonicalised', null, ['/v1/%7Ex'], { methods: null, paths: ['/v1/~x'] }],
  ];
  for (const [why, methods, paths, want] of ok) {
    test(`accepts ${why}`, () =>
      assert.deepEqual(validateGrantNarrowing(service, { methods, paths }), want));
  }

  const refused: [string, unknown, unknown][] = [
    ['an extra method', ['GET', 'DELETE'], null],
    ['a method of another case spelled differently', ['PATCH'], null],
    ['all paths', null, ['/**']],
    ['a sibling path', null, ['/v2/**']],
    ['** under a single-segment glob', null, ['/files/**']],
    ['a deeper file', null, ['/files/a/b']],
    ['a prefix trick', null, ['/v1x/**']],
    ['an opaque segment under **', null, ['/v1/a%2Fb']],
    ['one good, one wide', null, ['/v1/a', '/admin']],
  ];
  for (const [why, methods, paths] of refused) {
    test(`refuses ${why}`, () => wider(() => validateGrantNarrowing(service, { methods, paths })));
  }

  test('a service without method limits accepts any method list', () => {
    assert.deepEqual(validateGrantNarrowing(open, { methods: ['DELETE'], paths: ['/x/**'] }), {
      methods: ['DELETE'],
      paths: ['/x/**'],
    });
  });

  test('malformed grant fields name the field', () => {
    for (const [grant, field] of [
      [{ methods: [], paths: null }, 'methods'],
      [{ methods: 'GET', paths: null }, 'methods'],
      [{ methods: null, paths: [] }, 'paths'],
      [{ methods: null, paths: ['v1'] }, 'paths[0]'],
      [{ methods: null, paths: ['/a/../b'] }, 'paths[0]'],
    ] as const) {
      assert.throws(
        () => validateGrantNarrowing(service, grant),
        (err: unknown) =>
          isAirlockError(err, 'ERR_INVALID_ARGUMENT') && err.message.startsWith(field),
      );
    }
  });
});

describe('buildBinding', () => {
  test('intersects methods and stacks path sets', () => {
    const b = buildBinding('g1', 'openai', service, {
      methods: ['POST', 'PUT'],
      paths: ['/v1/chat/*'],
      expiresAt: 1000,
    });
    assert.deepEqual(b, {
      grantId: 'g1',
      serviceName: 'openai',
      secretName: 'K',
      scheme: 'https',
      hosts: service.hosts,
      pathSets: [['/v1/**', '/files/*'], ['/v1/chat/*']],
      methods: ['POST'],
      auth: { kind: 'bearer' },
      expiresAt: 1000,
    });
  });

  test('null on either side takes the other', () => {
    assert.deepEqual(
      buildBinding('g', 's', service, { methods: null, paths: null, expiresAt: null }).methods,
      ['GET', 'POST'],
    );
    assert.deepEqual(
      buildBinding('g', 's', open, { methods: ['GET'], paths: null, expiresAt: null }).methods,
      ['GET'],
    );
    assert.equal(
      buildBinding('g', 's', open, { methods: null, paths: null, expiresAt: null }).methods,
      null,
    );
    assert.deepEqual(
      buildBinding('g', 's', open, { methods: null, paths: null, expiresAt: null }).pathSets,
      [['/**']],
    );
  });

  test('a binding never allows what its service forbids, even from an unvalidated grant', () => {
    const pattern = fc.constantFrom(
      '/**',
      '/v1/**',
      '/v1/*',
      '/v2/**',
      '/files/*',
      '/files/**',
      '/admin',
    );
    const target = fc.constantFrom(
      '/v1/a',
      '/v2/a',
      '/files/x',
      '/files/x/y',
      '/admin',
      '/',
      '/v1',
    );
    const method = fc.constantFrom('GET', 'POST', 'DELETE');
    fc.assert(
      fc.property(
        fc.option(fc.array(method, { minLength: 1 }), { nil: null }),
        fc.option(fc.array(pattern, { minLength: 1 }), { nil: null }),
        method,
        target,
        (gm, gp, m, t) => {
          const binding = buildBinding('g', 's', service, {
            methods: gm,
            paths: gp,
            expiresAt: null,
          });
          const path = normalizePath(t);
          assert.ok(path.ok);
          if (selectBinding([binding], m, path) === null) return;
          assert.ok(service.methods?.includes(m));
          assert.ok(service.paths.some((p) => matchPath(parsePathPattern(p), path)));
          if (gm !== null) assert.ok(gm.includes(m));
          if (gp !== null) assert.ok(gp.some((p) => matchPath(parsePathPattern(p), path)));
        },
      ),
      { seed: 8, numRuns: 1000 },
    );
  });
});
