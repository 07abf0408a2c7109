import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type Binding,
  bindingsForDestination,
  buildBinding,
  normalizePath,
  parseConnectTarget,
  parseServiceSpec,
  selectBinding,
} from './index.ts';

function binding(
  id: string,
  spec: unknown,
  grant: { methods?: string[]; paths?: string[]; expiresAt?: number } = {},
): Binding {
  return buildBinding(id, id, parseServiceSpec(spec), {
    methods: grant.methods ?? null,
    paths: grant.paths ?? null,
    expiresAt: grant.expiresAt ?? null,
  });
}

const auth = { kind: 'bearer' };
const openai = binding(
  'openai',
  { hosts: ['api.openai.com'], auth, secret: 'OPENAI' },
  { expiresAt: 2000 },
);
const github = binding('github', {
  hosts: ['api.github.com', '*.githubusercontent.com'],
  paths: ['/repos/*/*/issues/**'],
  methods: ['GET', 'POST'],
  auth,
  secret: 'GH',
});
const githubRead = binding(
  'github-read',
  { hosts: ['api.github.com'], methods: ['GET'], auth, secret: 'GH_RO' },
  { paths: ['/repos/**'] },
);
const plain = binding('plain', { scheme: 'http', hosts: ['api.openai.com:80'], auth, secret: 'P' });
const all = [openai, github, githubRead, plain];

describe('bindingsForDestination', () => {
  const cases: [string, 'https' | 'http', string, number, string[]][] = [
    ['exact host', 'https', 'api.openai.com:443', 1000, ['openai']],
    ['at expiry the grant is gone', 'https', 'api.openai.com:443', 2000, []],
    ['after expiry', 'https', 'api.openai.com:443', 3000, []],
    ['other port', 'https', 'api.openai.com:8443', 1000, []],
    ['scheme must match', 'http', 'api.openai.com:443', 1000, []],
    ['plain http', 'http', 'api.openai.com:80', 1000, ['plain']],
    ['two bindings, in order', 'https', 'api.github.com:443', 1000, ['github', 'github-read']],
    ['wildcard subdomain', 'https', 'raw.githubusercontent.com:443', 1000, ['github']],
    ['wildcard apex', 'https', 'githubusercontent.com:443', 1000, []],
    ['look-alike', 'https', 'evil-githubusercontent.com:443', 1000, []],
    ['attacker suffix', 'https', 'api.github.com.evil.com:443', 1000, []],
    ['case-folded by the parser', 'https', 'API.OpenAI.com:443', 1000, ['openai']],
  ];
  for (const [name, scheme, authority, now, want] of cases) {
    test(name, () => {
      const { host, port } = parseConnectTarget(authority);
      assert.deepEqual(
        bindingsForDestination(all, scheme, host, port, now).map((b) => b.grantId),
        want,
      );
    });
  }
});

describe('selectBinding', () => {
  const candidates = [github, githubRead];
  const cases: [string, string, string | null][] = [
    ['GET', '/repos/o/r/issues', 'github'],
    ['POST', '/repos/o/r/issues/1/comments', 'github'],
    ['GET', '/repos/o/r/pulls', 'github-read'],
    ['POST', '/repos/o/r/pulls', null],
    ['DELETE', '/repos/o/r/issues/1', null],
    ['get', '/repos/o/r/issues', null],
    ['GET', '/user', null],
    ['GET', '/repos/o/r/issues/../../../../user', null],
    ['GET', '/repos/o/r/issues/%2e%2e/%2e%2e/pulls', 'github-read'],
    ['POST', '/repos/o/r/issues/%2e%2e/%2e%2e/pulls', null],
    ['POST', '/repos/o/r%2Fx/issues', null],
    ['GET', '/repos/o/r/issues/a%2F..%2F..', null],
    ['GET', '/repos//r/issues', 'github-read'],
    ['POST', '/repos//r/issues', null],
  ];
  for (const [method, target, want] of cases) {
    test(`${method} ${target} → ${want}`, () => {
      const path = normalizePath(target);
      assert.ok(path.ok);
      assert.equal(selectBinding(candidates, method, path)?.grantId ?? null, want);
    });
  }

  test('a stored pattern that no longer parses matches nothing', () => {
    const broken: Binding = { ...githubRead, pathSets: [['/**/x']] };
    const path = normalizePath('/repos/x');
    assert.ok(path.ok);
    assert.equal(selectBinding([broken], 'GET', path), null);
  });

  test('no candidates, no binding', () => {
    assert.equal(selectBinding([], 'GET', { segments: [''] }), null);
  });
});
