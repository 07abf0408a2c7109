// Bending the scope: a task token allows GET on /repos/acme/** only; the
// agent dresses up a request for something else (another path, another
// method) so that the proxy lets it through with the credential.
import { after, before, test } from 'node:test';
import { type AttackProduct, assertRefused, startAttackProduct, VICTIM } from './harness.ts';

let p: AttackProduct;
let token: string;
let vhost: string;

before(async () => {
  p = await startAttackProduct();
  token = (await p.task('github:GET:/repos/acme/**')).token;
  vhost = `${VICTIM}:${p.victim.port}`;
});
after(() => p.close());

/** [attack name, method, request target, extra headers, expected code] */
const cases: readonly [string, string, string, string, string][] = [
  ['path-traversal-dot-dot', 'GET', '/repos/acme/../admin', '', 'ERR_SCOPE_DENIED'],
  ['path-traversal-percent-2e', 'GET', '/repos/acme/%2e%2e/admin', '', 'ERR_SCOPE_DENIED'],
  ['path-traversal-mixed-case-percent', 'GET', '/repos/acme/%2E%2e/admin', '', 'ERR_SCOPE_DENIED'],
  ['path-traversal-double-encoded', 'GET', '/repos/acme/%252e%252e/admin', '', 'ERR_SCOPE_DENIED'],
  ['path-traversal-double-slash', 'GET', '/repos/acme//../../admin', '', 'ERR_SCOPE_DENIED'],
  ['path-traversal-backslash', 'GET', '/repos/acme/..\\..\\admin', '', 'ERR_SCOPE_DENIED'],
  [
    'path-traversal-encoded-backslash',
    'GET',
    '/repos/acme/..%5c..%5cadmin',
    '',
    'ERR_SCOPE_DENIED',
  ],
  ['path-traversal-semicolon-parameter', 'GET', '/repos/acme/..;/..;/admin', '', 'ERR_BAD_REQUEST'],
  ['path-traversal-encoded-slash', 'GET', '/repos/acme%2f..%2f..%2fadmin', '', 'ERR_SCOPE_DENIED'],
  [
    'path-traversal-overlong-utf8-dot',
    'GET',
    '/repos/acme/%c0%ae%c0%ae/admin',
    '',
    'ERR_SCOPE_DENIED',
  ],
  ['path-nul-byte', 'GET', '/repos/acme/%00/../../admin', '', 'ERR_SCOPE_DENIED'],
  ['path-case-trick', 'GET', '/REPOS/acme/x', '', 'ERR_SCOPE_DENIED'],
  ['path-prefix-sibling', 'GET', '/repos/acme-evil/x', '', 'ERR_SCOPE_DENIED'],
  [
    'path-scheme-relative-target',
    'GET',
    '//evil.attacker.test/repos/acme/x',
    '',
    'ERR_SCOPE_DENIED',
  ],
  ['path-asterisk-form-target', 'OPTIONS', '*', '', 'ERR_HOST_MISMATCH'],
  [
    'method-post-on-get-only-grant',
    'POST',
    '/repos/acme/x',
    'Content-Length: 0\r\n',
    'ERR_SCOPE_DENIED',
  ],
  ['method-head-on-get-only-grant', 'HEAD', '/repos/acme/x', '', 'ERR_SCOPE_DENIED'],
  ['method-options-on-get-only-grant', 'OPTIONS', '/repos/acme/x', '', 'ERR_SCOPE_DENIED'],
  ['method-trace-on-get-only-grant', 'TRACE', '/repos/acme/x', '', 'ERR_SCOPE_DENIED'],
  ['method-lower-case-get', 'get', '/repos/acme/x', '', 'ERR_BAD_REQUEST'],
  [
    'method-override-header',
    'GET',
    '/repos/acme/x',
    'X-HTTP-Method-Override: DELETE\r\n',
    'ERR_SCOPE_DENIED',
  ],
  [
    'method-override-x-method',
    'GET',
    '/repos/acme/x',
    'X-Method-Override: DELETE\r\n',
    'ERR_SCOPE_DENIED',
  ],
  [
    'method-override-list',
    'GET',
    '/repos/acme/x',
    'X-HTTP-Method-Override: GET, DELETE\r\n',
    'ERR_SCOPE_DENIED',
  ],
];

for (const [name, method, target, extra, code] of cases) {
  test(name, async (t) => {
    t.plan(4);
    const mark = await p.mark();
    const before = p.victim.requests.length;
    const res = await p.send(
      VICTIM,
      p.victim.port,
      `${method} ${target} HTTP/1.1\r\nHost: ${vhost}\r\n${extra}Connection: close\r\n\r\n`,
      token,
    );
    await assertRefused(t, p, mark, res, code);
    t.assert.equal(p.victim.requests.length, before, 'never forwarded');
  });
}
