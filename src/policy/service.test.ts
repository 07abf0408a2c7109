import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAirlockError } from '../core/index.ts';
import { parseAuthScheme, parseMethods, parseServiceSpec, type ServiceSpec } from './index.ts';

function refuses(fn: () => unknown, field: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isAirlockError(err, 'ERR_INVALID_ARGUMENT'), String(err));
    assert.ok(err.message.startsWith(field), `"${err.message}" should name ${field}`);
    assert.ok(err.message.length < 200, 'short message');
    return true;
  });
}

const minimal = { hosts: ['api.example.com'], auth: { kind: 'bearer' }, secret: 'OPENAI_KEY' };

describe('parseMethods', () => {
  const ok: [unknown, string[] | null][] = [
    [null, null],
    [undefined, null],
    [['get'], ['GET']],
    [
      ['GET', 'get', 'Post'],
      ['GET', 'POST'],
    ],
    [
      ['PROPFIND', 'M-SEARCH'],
      ['PROPFIND', 'M-SEARCH'],
    ],
  ];
  for (const [input, want] of ok) {
    test(`${JSON.stringify(input)} → ${JSON.stringify(want)}`, () => {
      assert.deepEqual(parseMethods(input), want);
    });
  }
  const bad: [unknown, string][] = [
    ['GET', 'a string'],
    [[], 'empty'],
    [['GET POST'], 'space'],
    [['GET\r\n'], 'CRLF'],
    [[''], 'empty method'],
    [[1], 'number'],
    [['(GET)'], 'separator'],
    [['A'.repeat(33)], 'too long'],
    [new Array(33).fill('GET'), 'too many'],
    [{ 0: 'GET' }, 'object'],
  ];
  for (const [input, why] of bad) {
    test(`refuses ${why}`, () => refuses(() => parseMethods(input), 'methods'));
  }
});

describe('parseServiceSpec', () => {
  test('fills defaults', () => {
    assert.deepEqual(parseServiceSpec(minimal), {
      scheme: 'https',
      hosts: [{ pattern: 'api.example.com', port: 443 }],
      paths: ['/**'],
      methods: null,
      auth: { kind: 'bearer' },
      secret: 'OPENAI_KEY',
      env: null,
    } satisfies ServiceSpec);
  });

  test('http defaults to port 80; everything canonical', () => {
    const spec = parseServiceSpec({
      scheme: 'http',
      hosts: ['*.Example.com', 'Example.com:8080', '[::1]', 'example.com:80'],
      paths: ['/v1/*', '/%7Eme/**', '/v1/*'],
      methods: ['get', 'POST'],
      auth: { kind: 'header', header: 'X-Api-Key', prefix: 'Token ' },
      secret: 'svc.key-1',
      env: 'SVC_KEY',
    });
    assert.deepEqual(spec.hosts, [
      { pattern: '*.example.com', port: 80 },
      { pattern: 'example.com', port: 8080 },
      { pattern: '::1', port: 80 },
      { pattern: 'example.com', port: 80 },
    ]);
    assert.deepEqual(spec.paths, ['/v1/*', '/~me/**']);
    assert.deepEqual(spec.methods, ['GET', 'POST']);
    assert.deepEqual(spec.auth, { kind: 'header', header: 'x-api-key', prefix: 'Token ' });
  });

  const bad: [string, unknown, string][] = [
    ['not an object', 'x', 'service'],
    ['array', [], 'service'],
    ['null', null, 'service'],
    ['unknown field', { ...minimal, path: ['/x'] }, 'service'],
    ['scheme', { ...minimal, scheme: 'ftp' }, 'scheme'],
    ['hosts missing', { ...minimal, hosts: undefined }, 'hosts'],
    ['hosts empty', { ...minimal, hosts: [] }, 'hosts'],
    ['hosts not array', { ...minimal, hosts: 'a.com' }, 'hosts'],
    ['bad host', { ...minimal, hosts: ['a.com', 'user@b.com'] }, 'hosts[1]'],
    ['host number', { ...minimal, hosts: [5] }, 'hosts[0]'],
    ['stored host bad port', { ...minimal, hosts: [{ pattern: 'a.com', port: 0 }] }, 'hosts[0]'],
    [
      'stored host extra key',
      { ...minimal, hosts: [{ pattern: 'a.com', port: 1, x: 1 }] },
      'hosts[0]',
    ],
    ['too many hosts', { ...minimal, hosts: new Array(65).fill('a.com') }, 'hosts'],
    ['paths empty', { ...minimal, paths: [] }, 'paths'],
    ['bad path', { ...minimal, paths: ['/a', '/**/b'] }, 'paths[1]'],
    ['path number', { ...minimal, paths: [1] }, 'paths[0]'],
    ['methods', { ...minimal, methods: ['GE T'] }, 'methods[0]'],
    ['auth missing', { ...minimal, auth: undefined }, 'auth'],
    ['auth kind', { ...minimal, auth: { kind: 'oauth' } }, 'auth.kind'],
    ['auth extra key', { ...minimal, auth: { kind: 'bearer', header: 'x' } }, 'auth'],
    ['secret missing', { ...minimal, secret: undefined }, 'secret'],
    ['secret bad', { ...minimal, secret: '1abc' }, 'secret'],
    ['secret too long', { ...minimal, secret: `a${'b'.repeat(128)}` }, 'secret'],
    ['secret slash', { ...minimal, secret: 'a/b' }, 'secret'],
    ['env bad', { ...minimal, env: '1X' }, 'env'],
    ['env dash', { ...minimal, env: 'A-B' }, 'env'],
    ['env number', { ...minimal, env: 1 }, 'env'],
  ];
  for (const [why, input, field] of bad) {
    test(`refuses ${why}`, () => refuses(() => parseServiceSpec(input), field));
  }

  test('never echoes a huge value', () => {
    const huge = 'x'.repeat(100_000);
    for (const input of [
      { ...minimal, hosts: [huge] },
      { ...minimal, paths: [`/${huge}`] },
      { ...minimal, secret: huge },
      { ...minimal, [huge]: 1 },
    ]) {
      assert.throws(
        () => parseServiceSpec(input),
        (err: unknown) => isAirlockError(err) && err.message.length < 200,
      );
    }
  });

  test('ignores inherited properties and refuses __proto__ keys', () => {
    const inherited = Object.create({ scheme: 'http' }) as Record<string, unknown>;
    Object.assign(inherited, minimal);
    assert.equal(parseServiceSpec(inherited).scheme, 'https');
    refuses(
      () => parseServiceSpec(JSON.parse(`{"__proto__": {"x": 1}, "hosts": ["a.com"]}`)),
      'service',
    );
  });

  test('a parsed spec (as stored JSON) parses back to itself', () => {
    const host = fc.constantFrom('a.com', '*.b.example', 'C.io:8443', '[::1]:9', '10.0.0.1');
    const path = fc.constantFrom('/**', '/a/*', '/v1/%7e/x', '/', '/a/');
    const auth = fc.constantFrom(
      { kind: 'bearer' },
      { kind: 'basic', username: 'bob' },
      { kind: 'basic' },
      { kind: 'header', header: 'X-Key' },
      { kind: 'query', param: 'api_key' },
    );
    fc.assert(
      fc.property(
        fc.record({
          scheme: fc.constantFrom('https', 'http'),
          hosts: fc.array(host, { minLength: 1, maxLength: 4 }),
          paths: fc.option(fc.array(path, { minLength: 1, maxLength: 3 }), { nil: undefined }),
          methods: fc.option(fc.array(fc.constantFrom('get', 'POST', 'Put'), { minLength: 1 }), {
            nil: null,
          }),
          auth,
          secret: fc.constantFrom('K', 'a.b-c_d'),
          env: fc.constantFrom(null, 'X_Y'),
        }),
        (input) => {
          const spec = parseServiceSpec(input);
          const stored: unknown = JSON.parse(JSON.stringify(spec));
          assert.deepEqual(parseServiceSpec(stored), spec);
        },
      ),
      { seed: 31337, numRuns: 300 },
    );
  });
});

describe('parseAuthScheme', () => {
  const ok: [unknown, unknown][] = [
    [{ kind: 'bearer' }, { kind: 'bearer' }],
    [{ kind: 'basic' }, { kind: 'basic', username: null }],
    [
      { kind: 'basic', username: null },
      { kind: 'basic', username: null },
    ],
    [
      { kind: 'basic', username: 'bob' },
      { kind: 'basic', username: 'bob' },
    ],
    [
      { kind: 'header', header: 'Authorization', prefix: 'token ' },
      { kind: 'header', header: 'authorization', prefix: 'token ' },
    ],
    [
      { kind: 'header', header: 'X-API-Key' },
      { kind: 'header', header: 'x-api-key', prefix: '' },
    ],
    [
      { kind: 'header', header: 'Cookie', prefix: 'session=' },
      { kind: 'header', header: 'cookie', prefix: 'session=' },
    ],
    [
      { kind: 'query', param: 'api_key' },
      { kind: 'query', param: 'api_key' },
    ],
  ];
  for (const [input, want] of ok) {
    test(`accepts ${JSON.stringify(input)}`, () => assert.deepEqual(parseAuthScheme(input), want));
  }

  const bad: [string, unknown, string][] = [
    ['basic username with colon', { kind: 'basic', username: 'a:b' }, 'auth.username'],
    ['basic username with CRLF', { kind: 'basic', username: 'a\r\nb' }, 'auth.username'],
    ['basic empty username', { kind: 'basic', username: '' }, 'auth.username'],
    ['basic username number', { kind: 'basic', username: 1 }, 'auth.username'],
    ['header missing', { kind: 'header' }, 'auth.header'],
    ['header with space', { kind: 'header', header: 'X Key' }, 'auth.header'],
    ['header with colon', { kind: 'header', header: 'X:Key' }, 'auth.header'],
    ['header with CRLF', { kind: 'header', header: 'X\r\nEvil' }, 'auth.header'],
    ['pseudo-header', { kind: 'header', header: ':authority' }, 'auth.header'],
    ['Host', { kind: 'header', header: 'Host' }, 'auth.header'],
    ['Content-Length', { kind: 'header', header: 'content-length' }, 'auth.header'],
    ['Transfer-Encoding', { kind: 'header', header: 'Transfer-Encoding' }, 'auth.header'],
    ['Connection', { kind: 'header', header: 'CONNECTION' }, 'auth.header'],
    ['Keep-Alive', { kind: 'header', header: 'keep-alive' }, 'auth.header'],
    ['Upgrade', { kind: 'header', header: 'upgrade' }, 'auth.header'],
    ['TE', { kind: 'header', header: 'TE' }, 'auth.header'],
    ['Trailer', { kind: 'header', header: 'trailer' }, 'auth.header'],
    ['Proxy-Authorization', { kind: 'header', header: 'Proxy-Authorization' }, 'auth.header'],
    ['Proxy-Connection', { kind: 'header', header: 'proxy-connection' }, 'auth.header'],
    [
      'prefix with CRLF',
      { kind: 'header', header: 'x-k', prefix: 'a\r\nX-Evil: 1' },
      'auth.prefix',
    ],
    ['prefix with NUL', { kind: 'header', header: 'x-k', prefix: 'a\0' }, 'auth.prefix'],
    ['prefix with tab', { kind: 'header', header: 'x-k', prefix: 'a\t' }, 'auth.prefix'],
    ['prefix not a string', { kind: 'header', header: 'x-k', prefix: 1 }, 'auth.prefix'],
    ['prefix too long', { kind: 'header', header: 'x-k', prefix: 'a'.repeat(257) }, 'auth.prefix'],
    ['query param with &', { kind: 'query', param: 'a&b' }, 'auth.param'],
    ['query param with =', { kind: 'query', param: 'a=b' }, 'auth.param'],
    ['query param encoded', { kind: 'query', param: 'a%20b' }, 'auth.param'],
    ['query param empty', { kind: 'query', param: '' }, 'auth.param'],
    ['kind missing', {}, 'auth.kind'],
    ['kind __proto__', JSON.parse('{"__proto__": {"kind": "bearer"}}'), 'auth.kind'],
    ['not an object', 'bearer', 'auth'],
  ];
  for (const [why, input, field] of bad) {
    test(`refuses ${why}`, () => refuses(() => parseAuthScheme(input), field));
  }
});
