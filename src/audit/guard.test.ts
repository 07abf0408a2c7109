import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { isAirlockError } from '../core/index.ts';
import { proxyCompletedEvent, proxyDeniedEvent, proxyRequestEvent } from './build.ts';
import { canonicalJson } from './canonical.ts';
import {
  assertAuditSafe,
  CREDENTIAL_SHAPES,
  looksLikeCredential,
  scrubPath,
  scrubText,
} from './guard.ts';

const ctx = { instance: 'inst_test', defaultWorkspace: 'ws_default', clock: { now: () => 0 } };

const facts = {
  agentId: 'agt_1',
  agentName: 'bot',
  workspaceId: 'ws_1',
  service: 'github',
  secretName: 'gh',
  scheme: 'https' as const,
  host: 'api.github.com',
  port: 443,
  method: 'GET',
  path: '/repos',
  queryNames: ['page'],
  upgrade: false,
};

const CREDENTIALS: readonly [string, string][] = [
  ['airlock placeholder', 'alk_ph_0123456789abcdefghjkmnpqrs'],
  ['airlock agent key', 'alk_agent_0123456789abcdefghjkmnpqrstvwxyz'],
  ['airlock owner key', 'alk_owner_0123456789abcdefghjk'],
  ['JWS task token', 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl'],
  ['bearer header', 'Bearer abcdefghijklmnop'],
  ['URL credentials', 'https://user:pass@example.com/'],
  ['GitHub token', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
  ['OpenAI key', 'sk-abcdefghijklmnopqrstuvwx'],
  ['AWS access key', 'AKIAABCDEFGHIJKLMNOP'],
  ['PEM private key', '-----BEGIN PRIVATE KEY-----'],
];

test('the guard refuses an event holding anything credential-shaped, anywhere', (t) => {
  t.plan(CREDENTIALS.length * 3 * 2);
  for (const [what, value] of CREDENTIALS) {
    const good = proxyRequestEvent(ctx, facts, null);
    const spots = [
      { ...good, service: value },
      { ...good, destination: { ...good.destination, host: `api.${value}` } },
      { ...good, actor: { ...good.actor, name: value } },
    ];
    for (const bad of spots) {
      try {
        assertAuditSafe(bad);
      } catch (err) {
        t.assert.equal(isAirlockError(err, 'ERR_AUDIT_REFUSED'), true, what);
        // The message names the field, never the value.
        t.assert.equal(!(err as Error).message.includes(value), true, what);
      }
    }
  }
});

test('the guard refuses a path with a query and a query name with a value', (t) => {
  t.plan(2);
  const good = proxyRequestEvent(ctx, facts, null);
  for (const destination of [
    { ...good.destination, path: '/search?q=secret' },
    { ...good.destination, queryNames: ['q=secret'] },
  ]) {
    t.assert.throws(
      () => assertAuditSafe({ ...good, destination }),
      (err: unknown) => isAirlockError(err, 'ERR_AUDIT_REFUSED'),
    );
  }
});

test('builders scrub what the guard would refuse, so their events pass it', () => {
  const placeholder = 'alk_ph_0123456789abcdefghjkmnpq';
  const event = proxyDeniedEvent(ctx, {
    ...facts,
    path: `/v1/${placeholder}/x?token=${placeholder}#frag`,
    queryNames: ['token=abc', 'page'],
    agentName: placeholder,
    code: 'ERR_SCOPE_DENIED',
    status: 403,
  });
  assertAuditSafe(event);
  assert.equal(event.destination.path, '/v1/[redacted]/x');
  assert.deepEqual(event.destination.queryNames, ['token', 'page']);
  assert.ok(!JSON.stringify(event).includes(placeholder));
});

test('scrubPath keeps the path and drops query and fragment', () => {
  assert.equal(scrubPath('/a/b?x=1&y=2'), '/a/b');
  assert.equal(scrubPath('/a#x=1'), '/a');
  assert.equal(scrubPath(null), null);
  assert.equal(scrubText('plain-name_1.2'), 'plain-name_1.2');
});

/** One text per credential shape, in the order of `CREDENTIAL_SHAPES`. */
const ONE_PER_SHAPE = [
  'alk_tok_abcdef',
  'eyJhbGciOi.eyJzdWIiOi.sig',
  '-----BEGIN EC PRIVATE KEY-----',
  'basic QWxhZGRpbjpvcGVu',
  'ftp://user:pw@host',
  'gho_abcdefghijklmnopqrst',
  'github_pat_abcdefghijklmnopqrst',
  'glpat-abcdefghijklmnop',
  'sk-ant-abcdefghijklmnop',
  'rk_live_abcdefghijklmnop',
  'xoxb-0123456789',
  'ASIAABCDEFGHIJKLMNOP',
  `AIza${'a'.repeat(35)}`,
];

test('every credential shape is caught, by itself and inside other text', () => {
  assert.equal(ONE_PER_SHAPE.length, CREDENTIAL_SHAPES.length);
  for (const [i, text] of ONE_PER_SHAPE.entries()) {
    const shape = CREDENTIAL_SHAPES[i] as RegExp;
    assert.ok(shape.test(text), `sample ${i} is not of its shape ${shape}`);
    assert.equal(looksLikeCredential(text), true, text);
    assert.equal(looksLikeCredential(`{"name":"x ${text} y"}`), true, text);
    assert.equal(looksLikeCredential(text.toLowerCase()), shape.test(text.toLowerCase()), text);
  }
  assert.equal(looksLikeCredential('plain-name_1.2 https://example.com/a'), false);
});

test('property: the combined check agrees with testing each shape on its own', () => {
  // Fragments of the shapes, so random texts come near them from both sides.
  const fragment = fc.constantFrom(
    ...ONE_PER_SHAPE.flatMap((t) => [t, t.slice(0, -2), t.toUpperCase()]),
    'Bearer ',
    'https://',
    '@',
    ' ',
    '.',
    '_',
    '-',
    'a',
    'Z',
    '9',
  );
  fc.assert(
    fc.property(
      fc.array(fc.oneof(fragment, fc.string({ maxLength: 4 })), { maxLength: 8 }),
      (parts) => {
        const text = parts.join('');
        assert.equal(
          looksLikeCredential(text),
          CREDENTIAL_SHAPES.some((re) => re.test(text)),
          text,
        );
      },
    ),
    { numRuns: 2000 },
  );
});

// Not a correctness property (canonicalJson sorts whatever it is given) but
// the reason these builders are written as they are: an event already in
// canonical order is serialised without a copy on every proxied request.
test("the proxy's per-request events are built in canonical member order", () => {
  const full = {
    ...facts,
    taskId: 'task_1',
    tokenId: 'tok_1',
    grantId: 'grant_1',
    secretVersion: 2,
  };
  const outcome = { status: 200, bytesIn: 1, bytesOut: 2, durationMs: 3.25, error: null };
  const events = [
    proxyRequestEvent(ctx, full, null),
    proxyRequestEvent(ctx, full, outcome),
    proxyCompletedEvent(ctx, 'evt_1', full, outcome),
    proxyDeniedEvent(ctx, { ...full, code: 'ERR_SCOPE_DENIED', status: 403 }),
    proxyDeniedEvent(ctx, { ...full, secretName: null, code: 'ERR_SCOPE_DENIED', status: null }),
  ];
  for (const event of events) assert.equal(JSON.stringify(event), canonicalJson(event), event.kind);
});
