import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAirlockError } from '../core/index.ts';
import { type AuthScheme, type HeaderEntry, injectCredential } from './index.ts';

const agentHeaders: HeaderEntry[] = [
  ['Host', 'api.example.com'],
  ['Authorization', 'Bearer agent-token'],
  ['authorization', 'Basic YWdlbnQ6cHc='],
  ['Proxy-Authorization', 'Bearer alk_task'],
  ['X-Api-Key', 'agent-key'],
  ['Accept', 'application/json'],
];

describe('injectCredential', () => {
  test('bearer replaces every Authorization', () => {
    const r = injectCredential({ kind: 'bearer' }, 'sk-real', agentHeaders, 'a=1');
    assert.deepEqual(r, {
      headers: [
        ['Host', 'api.example.com'],
        ['X-Api-Key', 'agent-key'],
        ['Accept', 'application/json'],
        ['authorization', 'Bearer sk-real'],
      ],
      query: 'a=1',
    });
  });

  test('basic with a username', () => {
    const r = injectCredential({ kind: 'basic', username: 'bob' }, 'pässword', agentHeaders, '');
    const auth = r.headers.filter(([n]) => n.toLowerCase() === 'authorization');
    assert.deepEqual(auth, [
      ['authorization', `Basic ${Buffer.from('bob:pässword', 'utf8').toString('base64')}`],
    ]);
  });

  test('basic without a username takes user:pass', () => {
    const r = injectCredential({ kind: 'basic', username: null }, 'bob:pw', [], '');
    assert.deepEqual(r.headers, [['authorization', 'Basic Ym9iOnB3']]);
  });

  test('header scheme replaces its header and drops Authorization', () => {
    const r = injectCredential(
      { kind: 'header', header: 'x-api-key', prefix: 'Key ' },
      'real',
      agentHeaders,
      '',
    );
    assert.deepEqual(r.headers, [
      ['Host', 'api.example.com'],
      ['Accept', 'application/json'],
      ['x-api-key', 'Key real'],
    ]);
  });

  test('header scheme naming Authorization', () => {
    const r = injectCredential(
      { kind: 'header', header: 'authorization', prefix: 'token ' },
      'gh',
      agentHeaders,
      '',
    );
    assert.deepEqual(
      r.headers.filter(([n]) => n.toLowerCase() === 'authorization'),
      [['authorization', 'token gh']],
    );
  });

  const queries: [string, string][] = [
    ['', 'api_key=s%20k%26x'],
    ['a=1', 'a=1&api_key=s%20k%26x'],
    ['api_key=mine', 'api_key=s%20k%26x'],
    ['a=1&api_key=mine&b=2&api_key=again', 'a=1&b=2&api_key=s%20k%26x'],
    ['API_KEY=mine', 'api_key=s%20k%26x'],
    ['api%5Fkey=mine', 'api_key=s%20k%26x'],
    ['api%5fkey', 'api_key=s%20k%26x'],
    ['api_keyx=1&xapi_key=2', 'api_keyx=1&xapi_key=2&api_key=s%20k%26x'],
    ['a=%zz&&b', 'a=%zz&&b&api_key=s%20k%26x'],
  ];
  for (const [query, want] of queries) {
    test(`query "${query}" → "${want}"`, () => {
      const r = injectCredential({ kind: 'query', param: 'api_key' }, 's k&x', agentHeaders, query);
      assert.equal(r.query, want);
      assert.ok(!r.headers.some(([n]) => /^(proxy-)?authorization$/i.test(n)));
    });
  }

  const schemes: AuthScheme[] = [
    { kind: 'bearer' },
    { kind: 'basic', username: 'u' },
    { kind: 'header', header: 'x-k', prefix: '' },
    { kind: 'query', param: 'k' },
  ];
  const badValues: [string, string][] = [
    ['CRLF', 'abc\r\nX-Evil: 1'],
    ['LF', 'abc\nX-Evil: 1'],
    ['CR', 'abc\r'],
    ['NUL', 'abc\0def'],
    ['other control', 'abc\x1bdef'],
    ['DEL', 'abc\x7f'],
    ['empty', ''],
  ];
  for (const scheme of schemes) {
    for (const [why, value] of badValues) {
      test(`crlf-injection: ${scheme.kind} refuses a secret with ${why}`, (t) => {
        t.plan(2);
        try {
          injectCredential(scheme, value, agentHeaders, '');
        } catch (err) {
          t.assert.equal(isAirlockError(err, 'ERR_INVALID_ARGUMENT'), true);
          t.assert.equal(value === '' || !(err as Error).message.includes(value), true, 'no echo');
        }
      });
    }
  }

  test('a header cannot carry characters beyond Latin-1', () => {
    for (const scheme of [
      { kind: 'bearer' },
      { kind: 'header', header: 'x-k', prefix: '' },
    ] as const) {
      assert.throws(
        () => injectCredential(scheme, 'tök€n', [], ''),
        (err: unknown) => isAirlockError(err, 'ERR_INVALID_ARGUMENT'),
      );
    }
    assert.equal(
      injectCredential({ kind: 'query', param: 'k' }, 'tök€n', [], '').query,
      'k=t%C3%B6k%E2%82%ACn',
    );
  });

  test('basic without username needs user:pass', () => {
    assert.throws(
      () => injectCredential({ kind: 'basic', username: null }, 'nocolon', [], ''),
      (err: unknown) =>
        isAirlockError(err, 'ERR_INVALID_ARGUMENT') && !err.message.includes('nocolon'),
    );
  });

  test('does not modify its inputs', () => {
    const copy = agentHeaders.map((h) => [...h]);
    injectCredential({ kind: 'bearer' }, 'x', agentHeaders, '');
    assert.deepEqual(agentHeaders, copy);
  });

  test('never leaves an agent-supplied Authorization header', () => {
    const casing = fc
      .constantFrom('authorization', 'proxy-authorization', 'x-k', 'accept', 'x-other')
      .chain((name) =>
        fc
          .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
          .map((up) => [...name].map((c, i) => (up[i] ? c.toUpperCase() : c)).join('')),
      );
    const scheme = fc.constantFrom<AuthScheme>(
      { kind: 'bearer' },
      { kind: 'basic', username: 'u' },
      { kind: 'basic', username: null },
      { kind: 'header', header: 'x-k', prefix: 'P ' },
      { kind: 'header', header: 'authorization', prefix: 'token ' },
      { kind: 'query', param: 'k' },
    );
    fc.assert(
      fc.property(
        scheme,
        fc.array(fc.tuple(casing, fc.string({ maxLength: 12 })), { maxLength: 8 }),
        fc.stringMatching(/^[A-Za-z0-9:._~+/=-]{1,24}$/),
        (auth, headers, secret) => {
          const value = auth.kind === 'basic' && auth.username === null ? `u:${secret}` : secret;
          const { headers: out } = injectCredential(auth, value, headers, '');
          const injectedName = auth.kind === 'header' ? auth.header : 'authorization';
          const controlled = out.filter(([n]) => {
            const lower = n.toLowerCase();
            return (
              lower === 'authorization' || lower === 'proxy-authorization' || lower === injectedName
            );
          });
          // Exactly the credential Airlock injects, whatever the agent sent.
          assert.deepEqual(controlled, injectCredential(auth, value, [], '').headers);
          // Everything else the agent sent passes through in order.
          assert.deepEqual(
            out.filter((h) => !controlled.includes(h)),
            headers.filter(
              ([n]) =>
                !['authorization', 'proxy-authorization', injectedName].includes(n.toLowerCase()),
            ),
          );
        },
      ),
      { seed: 606, numRuns: 2000 },
    );
  });
});
