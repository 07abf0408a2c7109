// The audit commands end to end: a real server, the real CLI as a child process.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { after, before, test } from 'node:test';
import { canonicalJson, chainHash, GENESIS_HASH } from '../../src/audit/index.ts';
import { CLI } from '../helpers/airlock.ts';
import { type AuditProduct, startAuditProduct } from '../helpers/audit-product.ts';

let p: AuditProduct;
type Json = Record<string, unknown>;

before(async () => {
  p = await startAuditProduct();
  assert.equal((await p.curl('/repos/acme/widgets')).stdout.split('\n').at(-1), '200');
  assert.equal((await p.curl('/elsewhere')).stdout.split('\n').at(-1), '403');
  await p.waitForEvents('kind=proxy.completed', 1);
  await p.waitForEvents('kind=proxy.denied', 1);
});
after(() => p.close());

test('audit verify reports an intact chain', async () => {
  const r = await p.cli(['audit', 'verify']);
  assert.match(r.stdout, /^ok: the audit chain verifies: \d+ events, seq 1\.\.\d+/);
  const json = JSON.parse((await p.cli(['audit', 'verify', '--json'])).stdout) as Json;
  assert.equal(json.ok, true);
  assert.match(String(json.publicKeyPem), /BEGIN PUBLIC KEY/);
});

test('audit query filters by agent, service and decision', async () => {
  const denied = JSON.parse(
    (await p.cli(['audit', 'query', '--agent', 'bot', '--decision', 'deny', '--json'])).stdout,
  ) as Json[];
  const [only] = denied;
  assert.equal(denied.length, 1);
  assert.ok(only);
  assert.equal((only.event as Json).code, 'ERR_SCOPE_DENIED');
  const human = (await p.cli(['audit', 'query', '--service', 'github', '--kind', 'proxy.'])).stdout;
  assert.match(
    human,
    /proxy\.request +allow bot +GET https:\/\/api\.test\.local:\d+\/repos\/acme\/widgets \[github\] -/,
  );
  assert.match(human, /proxy\.completed +allow bot +evt_\w+ \[github\] 200/);
  const bad = await p.cli(['audit', 'query', '--decision', 'maybe'], { allowFail: true });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /\[ERR_INVALID_ARGUMENT\]/);
});

test('audit export jsonl re-verifies outside Airlock; csv has one row per event; the file sink matches', async () => {
  const lines = (await p.cli(['audit', 'export', '--format', 'jsonl'])).stdout
    .trimEnd()
    .split('\n');
  let prev = GENESIS_HASH;
  for (const [i, line] of lines.entries()) {
    const r = JSON.parse(line) as {
      seq: number;
      id: string;
      prevHash: string;
      hash: string;
      event: unknown;
    };
    assert.equal(r.seq, i + 1);
    assert.equal(r.prevHash, prev);
    assert.equal(chainHash(r.seq, r.id, r.prevHash, canonicalJson(r.event)), r.hash);
    prev = r.hash;
  }
  const csv = (await p.cli(['audit', 'export', '--format', 'csv'])).stdout.trimEnd().split('\n');
  assert.match(csv[0] ?? '', /^seq,id,time,kind,workspace,actor_type/);
  assert.equal(csv.length, lines.length + 1);
  const file = (await readFile(p.auditFile, 'utf8')).trimEnd().split('\n');
  assert.deepEqual(file.slice(0, lines.length), lines, 'the file sink holds the same lines');
});

test('audit tail shows the latest events; tail -f prints new ones as they commit', async () => {
  const last = (await p.cli(['audit', 'tail', '-n', '2'])).stdout.trimEnd().split('\n');
  assert.equal(last.length, 2);
  const child = spawn(
    process.execPath,
    [CLI, 'audit', 'tail', '-f', '-n', '1', '--home', p.home.paths.home],
    {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const waitFor = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tail never printed ${re}: ${out}`)), 30_000);
      const check = () => {
        if (re.test(out)) {
          clearTimeout(timer);
          child.stdout.off('data', onData);
          resolve();
        }
      };
      const onData = (d: Buffer) => {
        out += d.toString('utf8');
        check();
      };
      child.stdout.on('data', onData);
      child.once('close', () => reject(new Error(`tail exited early: ${out}`)));
      check();
    });
  try {
    await waitFor(/evt_/);
    const created = await p.api('POST', '/v1/agents', { name: 'follower' });
    assert.equal(created.status, 201);
    await waitFor(/agent\.created +allow owner:key_\w+ +agent follower/);
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
});

test('access-review: per agent, grants with last use, unused grants, denials; as Markdown and JSON', async () => {
  await p.cli(['agent', 'add', 'idle']);
  await p.cli(['grant', 'idle', 'github', '--method', 'GET']);
  const review = (
    JSON.parse((await p.cli(['access-review', '--since', '7d', '--format', 'json'])).stdout) as Json
  ).agents as Json[];
  const bot = review.find((a) => a.name === 'bot') as Json;
  const botGrant = (bot.grants as Json[])[0] as Json;
  assert.equal(botGrant.service, 'github');
  assert.equal(typeof botGrant.lastUsed, 'string');
  assert.ok(Number(botGrant.usesInWindow) >= 1);
  assert.equal(botGrant.unusedInWindow, false);
  assert.equal((bot.denied as Json).count, 1);
  assert.deepEqual((bot.denied as Json).byCode, { ERR_SCOPE_DENIED: 1 });
  const idle = review.find((a) => a.name === 'idle') as Json;
  assert.equal(idle.unusedGrants, 1);
  assert.equal(((idle.grants as Json[])[0] as Json).lastUsed, null);
  const md = (await p.cli(['access-review'])).stdout;
  assert.match(md, /^# Airlock access review/);
  assert.match(md, /## Agent bot/);
  assert.match(md, /## Agent idle[\s\S]*never \| 0 \(unused\)/);
  assert.match(md, /## Sign-off/);
});

test('audit prune keeps the chain verifiable from a signed checkpoint, and is itself on record', async () => {
  const pruning = await p.cli(['audit', 'prune', '--before', '1s']);
  assert.match(pruning.stdout, /removed \d+ events .*signed/);
  const verified = await p.cli(['audit', 'verify']);
  assert.match(verified.stdout, /from the signed checkpoint at seq \d+/);
  const pruned = await p.waitForEvents('kind=audit.pruned', 1);
  assert.equal(pruned.length, 1, 'the prune itself is on record');
});

test('invariant 5, any edit is detected: tampering with a row fails audit verify, which names the event', async () => {
  const id = (await p.waitForEvents('kind=audit.pruned', 1))[0]?.id as string;
  const db = new DatabaseSync(p.home.paths.store);
  try {
    db.prepare(
      `UPDATE audit_events SET event = replace(event, '"audit.pruned"', '"admin.action"') WHERE id = ?`,
    ).run(id);
  } finally {
    db.close();
  }
  const r = await p.cli(['audit', 'verify'], { allowFail: true });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[ERR_AUDIT_CHAIN_BROKEN\]/);
  assert.ok(r.stderr.includes(id), r.stderr);
});
