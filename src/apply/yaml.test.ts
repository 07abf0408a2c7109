import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAirlockError } from '../core/index.ts';
import { stringifyYaml } from './export.ts';
import { parseYaml } from './yaml.ts';

test('the subset parses mappings, sequences, flow values and scalars, and records lines', () => {
  const doc = parseYaml(`---
# comment
version: 1
services:
  github:
    hosts: [api.github.com, "uploads.github.com:443"]
    auth: { kind: header, header: x-api-key, prefix: 'Token ' }
    methods:
      - GET
      - POST   # trailing comment
grants:
  - agent: bot
    service: github
    paths: ["/repos/**"]
  - agent: "quoted # not a comment"
    service: x
empty:
flags: [true, false, null, 42, -7, "42"]
`);
  assert.deepEqual(JSON.parse(JSON.stringify(doc.value)), {
    version: 1,
    services: {
      github: {
        hosts: ['api.github.com', 'uploads.github.com:443'],
        auth: { kind: 'header', header: 'x-api-key', prefix: 'Token ' },
        methods: ['GET', 'POST'],
      },
    },
    grants: [
      { agent: 'bot', service: 'github', paths: ['/repos/**'] },
      { agent: 'quoted # not a comment', service: 'x' },
    ],
    empty: null,
    flags: [true, false, null, 42, -7, '42'],
  });
  assert.equal(doc.lines.get('services.github.auth'), 7);
  assert.equal(doc.lines.get('services.github.methods[1]'), 10);
  assert.equal(doc.lines.get('grants[1].service'), 16);
});

test('what the subset does not support is refused with ERR_APPLY_INVALID naming the line', () => {
  const cases: [string, number][] = [
    ['a: 1\n\tb: 2\n', 2],
    ['a: 1\na: 2\n', 2],
    ['a: &anchor 1\n', 1],
    ['a: *anchor\n', 1],
    ['a: !!str 1\n', 1],
    ['a: |\n  text\n', 1],
    ['a:\n  b: 1\n    c: 2\n', 3],
    ['a: "open\n', 1],
    ['a: [1, 2\n', 1],
    ['a: 1\n---\nb: 2\n', 2],
    ['just text\n', 1],
    ['a: b: c\n', 1],
    ['x:\n  - 1\n  y: 2\n', 3],
  ];
  for (const [text, line] of cases) {
    assert.throws(
      () => parseYaml(text),
      (err: unknown) =>
        isAirlockError(err, 'ERR_APPLY_INVALID') && err.message.startsWith(`line ${line}:`),
      JSON.stringify(text),
    );
  }
});

test('stringifyYaml writes what parseYaml reads back', () => {
  const value = {
    version: 1,
    providers: {
      vault: { command: '/usr/bin/node', args: ['/opt/p.mjs', '--flag'], timeoutMs: 5000, env: [] },
    },
    secrets: {
      a: { ref: 'exec:vault#kv/data/a' },
      b: { stored: true },
      'c.d': { ref: 'file:/x/y.json#/k' },
    },
    services: {
      s: {
        hosts: ['api.example.com:443'],
        paths: ['/**'],
        auth: { kind: 'header', header: 'x-k', prefix: 'Bearer ' },
        secret: 'a',
      },
    },
    agents: ['bot', 'true', '42'],
    grants: [
      { agent: 'bot', service: 's', methods: ['GET'], expiresAt: '2030-01-01T00:00:00.000Z' },
    ],
    empty: {},
    none: [],
  };
  assert.deepEqual(JSON.parse(JSON.stringify(parseYaml(stringifyYaml(value)).value)), value);
});
