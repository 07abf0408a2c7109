import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { after, before, test } from 'node:test';
import { sha256Hex } from '../../src/crypto/index.ts';
import { type AdminFixture, startAdmin } from '../helpers/admin.ts';
import { errorCode } from '../helpers/airlock.ts';

let fx: AdminFixture;
before(async () => {
  fx = await startAdmin();
  await fx.api('POST', '/v1/secrets', { name: 'tok', value: 'v-admin-agents' });
  const svc = await fx.api('POST', '/v1/services', {
    name: 'api',
    hosts: ['api.example.com'],
    auth: { kind: 'bearer' },
    secret: 'tok',
  });
  assert.equal(svc.status, 201);
});
after(() => fx.close());

/** Every byte the store has on disk, the write-ahead log included. */
async function storeBytes(): Promise<string> {
  const files = [fx.home.paths.store, `${fx.home.paths.store}-wal`];
  const parts = await Promise.all(files.map((f) => readFile(f).catch(() => Buffer.alloc(0))));
  return Buffer.concat(parts).toString('latin1');
}

/** The agents table as a second, read-only connection sees it. */
function agentHashes(): { name: string; key_hash: string }[] {
  const db = new DatabaseSync(fx.home.paths.store, { readOnly: true });
  try {
    return db
      .prepare('SELECT name, key_hash FROM agents ORDER BY name')
      .all()
      .map((row) => ({ name: String(row.name), key_hash: String(row.key_hash) }));
  } finally {
    db.close();
  }
}

test('agent add prints the key once on stdout; only its SHA-256 reaches the store', async () => {
  const add = await fx.cli(['agent', 'add', 'bot']);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /^alk_agent_[0-9a-z]{40,}\n$/);
  assert.match(add.stderr, /shown only once/);
  const key = add.stdout.trim();

  const list = await fx.cli(['agent', 'list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const { body } = await fx.api('GET', '/v1/agents');
  const shown = `${list.stdout}${JSON.stringify(body)}`;
  assert.ok(shown.includes('"bot"'));
  assert.ok(!shown.includes(key), 'the key is never listed');
  assert.ok(!shown.includes(sha256Hex(key)), 'nor its hash');
  assert.ok(!shown.toLowerCase().includes('hash'));

  const bytes = await storeBytes();
  assert.ok(!bytes.includes(key), 'the key is not in the SQLite files');
  assert.ok(!bytes.includes(key.slice('alk_agent_'.length)), 'not even its random part');
  assert.deepEqual(agentHashes(), [{ name: 'bot', key_hash: sha256Hex(key) }]);
});

test('agent rotate issues a new key and drops the old hash', async () => {
  const created = await fx.api('POST', '/v1/agents', { name: 'rotor' });
  assert.equal(created.status, 201);
  const oldKey = created.body.key as string;

  const rotated = await fx.api('POST', '/v1/agents/rotor/rotate');
  assert.equal(rotated.status, 200);
  const newKey = rotated.body.key as string;
  assert.match(newKey, /^alk_agent_/);
  assert.notEqual(newKey, oldKey);
  assert.equal(typeof (rotated.body.agent as Record<string, unknown>).rotatedAt, 'string');

  const hashes = agentHashes().map((r) => r.key_hash);
  assert.ok(hashes.includes(sha256Hex(newKey)));
  assert.ok(!hashes.includes(sha256Hex(oldKey)), 'the old key no longer authenticates');

  const cli = await fx.cli(['agent', 'rotate', 'rotor']);
  assert.equal(cli.code, 0, cli.stderr);
  const third = cli.stdout.trim();
  assert.match(third, /^alk_agent_/);
  assert.deepEqual(
    agentHashes().find((r) => r.name === 'rotor'),
    { name: 'rotor', key_hash: sha256Hex(third) },
  );
});

test('agent revoke sets revokedAt once; a revoked agent cannot be rotated or granted', async () => {
  await fx.api('POST', '/v1/agents', { name: 'gone' });
  const revoke = await fx.cli(['agent', 'revoke', 'gone', '--json']);
  assert.equal(revoke.code, 0, revoke.stderr);
  const at = (JSON.parse(revoke.stdout) as { revokedAt: string }).revokedAt;
  assert.ok(Number.isFinite(Date.parse(at)));

  const again = await fx.api('POST', '/v1/agents/gone/revoke');
  assert.equal((again.body.agent as Record<string, unknown>).revokedAt, at, 'the first time stays');

  const rotate = await fx.api('POST', '/v1/agents/gone/rotate');
  assert.equal(rotate.status, 409);
  assert.equal(errorCode(rotate.body), 'ERR_CONFLICT');
  const grant = await fx.api('POST', '/v1/grants', { agent: 'gone', service: 'api' });
  assert.equal(grant.status, 409);
  assert.equal(errorCode(grant.body), 'ERR_CONFLICT');
  assert.deepEqual((await fx.api('GET', '/v1/grants?agent=gone')).body, { grants: [] });
});

test('agent rm deletes the agent and its grants', async () => {
  await fx.api('POST', '/v1/agents', { name: 'temp' });
  const grant = await fx.api('POST', '/v1/grants', { agent: 'temp', service: 'api' });
  assert.equal(grant.status, 201);

  const rm = await fx.cli(['agent', 'rm', 'temp']);
  assert.equal(rm.code, 0, rm.stderr);
  assert.equal(rm.stdout, 'deleted temp\n');
  const grants = await fx.api('GET', '/v1/grants');
  assert.deepEqual(grants.body.grants, []);
  const missing = await fx.api('GET', '/v1/agents/temp');
  assert.equal(missing.status, 404);
  assert.equal(errorCode(missing.body), 'ERR_NOT_FOUND');
  const again = await fx.cli(['agent', 'rm', 'temp']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no agent named temp \[ERR_NOT_FOUND\]/);
});

test('bad agent names and duplicates are refused and change nothing', async (t) => {
  const before = await fx.api('GET', '/v1/agents');
  const cases: [unknown, string][] = [
    ['9lives', 'ERR_INVALID_NAME'],
    ['has space', 'ERR_INVALID_NAME'],
    ['a'.repeat(65), 'ERR_INVALID_NAME'],
    ['', 'ERR_INVALID_NAME'],
    [42, 'ERR_INVALID_ARGUMENT'],
    ['bot', 'ERR_CONFLICT'],
  ];
  t.plan(cases.length + 1);
  for (const [name, code] of cases) {
    const res = await fx.api('POST', '/v1/agents', { name });
    t.assert.equal(errorCode(res.body), code, String(name));
  }
  t.assert.deepEqual((await fx.api('GET', '/v1/agents')).body, before.body);
});
