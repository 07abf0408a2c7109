// Configuration as code: `airlock apply` makes Airlock match a file in one
// transaction, idempotently; a broken file changes nothing at all; errors
// name the line; `airlock export` writes a file that applies as no change.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../../src/server.ts';
import { initTestHome, runCli, serveTestHome, type TestHome, tempDir } from '../helpers/airlock.ts';

let home: TestHome;
let server: RunningServer;
let dir: { dir: string; cleanup: () => Promise<void> };

const CONFIG = `version: 1
providers:
  vault:
    command: ${process.execPath}
    args: [/opt/airlock/provider.mjs]
    timeoutMs: 5000
    env: [VAULT_ADDR]
secrets:
  github: { ref: "env:GITHUB_TOKEN" }
  stripe: { stored: true }
  slack: { ref: "exec:vault#slack/bot" }
services:
  github:
    hosts: [api.github.com]
    paths: ["/repos/**", "/user"]
    methods: [GET, POST]
    auth: { kind: bearer }
    secret: github
  stripe:
    hosts: [api.stripe.com]
    auth: { kind: basic }
    secret: stripe
agents: [bot, reviewer]
grants:
  - agent: bot
    service: github
    methods: [GET]
    paths: ["/repos/acme/**"]
  - agent: reviewer
    service: stripe
    expiresAt: 2099-01-01T00:00:00Z
`;

async function cli(args: string[], expect = 0, stdin?: string): Promise<string> {
  const r = await runCli(
    [...args, '--home', home.paths.home],
    stdin === undefined ? {} : { stdin },
  );
  assert.equal(r.code, expect, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return expect === 0 ? r.stdout : r.stderr;
}

async function file(name: string, text: string): Promise<string> {
  const path = join(dir.dir, name);
  await writeFile(path, text);
  return path;
}

/** Everything apply manages, as the API lists it, to compare before and after. */
async function state(): Promise<string> {
  const parts = await Promise.all(
    ['/v1/providers', '/v1/refs', '/v1/secrets', '/v1/services', '/v1/agents', '/v1/grants'].map(
      async (p) => {
        const res = await fetch(`http://127.0.0.1:${server.api.port}${p}`, {
          headers: { authorization: `Bearer ${home.ownerKey}` },
        });
        return `${p} ${await res.text()}`;
      },
    ),
  );
  return parts.join('\n');
}

before(async () => {
  home = await initTestHome();
  server = await serveTestHome(home.paths);
  dir = await tempDir('airlock-apply-');
  await cli(['secret', 'set', 'stripe'], 0, 'sk_test_stored_value');
});

after(async () => {
  await server?.close();
  await dir?.cleanup();
  await home?.cleanup();
});

test('--dry-run prints the plan and changes nothing', async () => {
  const before = await state();
  const out = await cli(['apply', '-f', await file('a.yaml', CONFIG), '--dry-run']);
  assert.match(out, /\+ provider vault/);
  assert.match(out, /\+ service github/);
  assert.match(out, /\+ agent bot/);
  assert.match(out, /\+ grant bot → github/);
  assert.match(out, /dry run: nothing changed/);
  assert.doesNotMatch(out, /alk_agent_/);
  assert.equal(await state(), before);
});

test('apply makes Airlock match the file, prints new agent keys once, and a second apply changes nothing', async () => {
  const path = await file('a.yaml', CONFIG);
  const first = await cli(['apply', '-f', path]);
  assert.match(first, /\+ secret github/);
  assert.match(first, /\+ grant reviewer → stripe/);
  assert.match(first, /agent bot key \(shown once\): alk_agent_/);
  assert.match(first, /9 change\(s\) applied/);
  const after = await state();
  const second = await cli(['apply', '-f', path]);
  assert.equal(second, 'no changes\n');
  assert.equal(await state(), after);
  const list = JSON.parse(await cli(['secret', 'list', '--json'])) as {
    name: string;
    source: string;
  }[];
  assert.deepEqual(
    list.map((s) => [s.name, s.source]),
    [
      ['github', 'env'],
      ['slack', 'exec'],
      ['stripe', 'store'],
    ],
  );
});

test('a broken file changes nothing at all, and the error points at the line', async () => {
  const before = await state();
  const cases: [string, RegExp][] = [
    [
      CONFIG.replace('methods: [GET]\n', 'methods: [DELETE]\n'),
      /line 27: grants\[0\]\.methods: grant is wider than service/,
    ],
    [
      CONFIG.replace('secret: stripe\n', 'secret: nope\n'),
      /line 22: services\.stripe\.secret: no secret named nope/,
    ],
    [
      CONFIG.replace(
        '  slack: { ref: "exec:vault#slack/bot" }',
        '  slack: { ref: "exec:other#x" }',
      ),
      /line 11: secrets\.slack\.ref: no provider named other/,
    ],
    [
      CONFIG.replace('agents: [bot, reviewer]', 'agents: [bot]'),
      /line 29: grants\[1\]\.agent: must name a listed agent/,
    ],
    [
      CONFIG.replace('    auth: { kind: basic }', '\tauth: { kind: basic }'),
      /line 21: indent with spaces/,
    ],
    [`${CONFIG}unknown: 1\n`, /line 32: unknown: unknown field/],
    [
      CONFIG.replace(
        '  github: { ref: "env:GITHUB_TOKEN" }',
        '  github: { value: "ghp_plaintext" }',
      ),
      /line 9: secrets\.github\.value: unknown field/,
    ],
    [
      CONFIG.replace('  stripe: { stored: true }', '  stripe: { ref: "env:X" }'),
      /secrets\.stripe: stripe is a stored secret/,
    ],
    [
      CONFIG.replace('secrets:\n', 'secrets:\n  missing: { stored: true }\n'),
      /secrets\.missing: no stored secret named missing/,
    ],
  ];
  for (const [text, message] of cases) {
    const err = await cli(['apply', '-f', await file('broken.yaml', text)], 1);
    assert.match(err, message);
    assert.match(err, /ERR_APPLY_INVALID/);
    assert.doesNotMatch(err, /ghp_plaintext/);
  }
  assert.equal(await state(), before);
});

test('changes apply: a repointed reference, a changed service (its grants re-made), removals', async () => {
  const changed = CONFIG.replace('env:GITHUB_TOKEN', 'env:GH_TOKEN_V2')
    .replace('paths: ["/repos/**", "/user"]', 'paths: ["/repos/**"]')
    .replace('agents: [bot, reviewer]', 'agents: [bot]')
    .replace(/ {2}- agent: reviewer\n {4}service: stripe\n {4}expiresAt: .*\n/, '');
  const out = await cli(['apply', '-f', await file('b.yaml', changed)]);
  assert.match(out, /~ secret github/);
  assert.match(out, /~ service github/);
  assert.match(out, /- agent reviewer/);
  // The reviewer's grant went with the reviewer.
  assert.equal(await cli(['apply', '-f', await file('b.yaml', changed)]), 'no changes\n');
  const grants = (await (
    await fetch(`http://127.0.0.1:${server.api.port}/v1/grants`, {
      headers: { authorization: `Bearer ${home.ownerKey}` },
    })
  ).json()) as { grants: { agent: string; service: string; paths: string[] }[] };
  assert.deepEqual(
    grants.grants.map((g) => [g.agent, g.service, g.paths]),
    [['bot', 'github', ['/repos/acme/**']]],
  );
});

test('export writes the same format, never a value, and applying it changes nothing', async () => {
  const yaml = await cli(['export']);
  assert.match(yaml, /stripe:\n {4}stored: true/);
  assert.doesNotMatch(yaml, /sk_test_stored_value/);
  assert.equal(await cli(['apply', '-f', await file('exported.yaml', yaml)]), 'no changes\n');
  assert.equal(await cli(['apply', '-f', '-'], 0, yaml), 'no changes\n');
});

test('only the owner may change providers through apply; nothing is changed when refused', async () => {
  const adminKey =
    (await cli(['apikey', 'create', 'ci', '--role', 'admin'])).trim().split(/\s+/).at(-1) ?? '';
  const before = await state();
  const yaml = (await cli(['export'])).replace('timeoutMs: 5000', 'timeoutMs: 6000');
  const r = await runCli(['apply', '-f', await file('c.yaml', yaml)], {
    env: { AIRLOCK_API: `http://127.0.0.1:${server.api.port}`, AIRLOCK_API_KEY: adminKey },
  });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ERR_FORBIDDEN/);
  assert.equal(await state(), before);
});
