import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type TestContext, test } from 'node:test';
import { isAirlockError } from '../core/index.ts';
import { openSqliteStore } from './index.ts';
import { applyMigrations, SQLITE_MIGRATIONS } from './migrations.ts';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-store-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const mode = (file: string) => statSync(file).mode & 0o777;
const clock = { now: () => 1_700_000_000_000 };
const LATEST = SQLITE_MIGRATIONS.length;

/** The first column of the first row of `sql`. */
const scalar = (db: DatabaseSync, sql: string): unknown =>
  Object.values(db.prepare(sql).get() ?? {})[0];

function inspect(path: string): { version: unknown; applied: unknown[]; journal: unknown } {
  const db = new DatabaseSync(path);
  try {
    return {
      version: scalar(db, 'PRAGMA user_version'),
      applied: db
        .prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version')
        .all()
        .map((r) => ({ ...r })),
      journal: scalar(db, 'PRAGMA journal_mode'),
    };
  } finally {
    db.close();
  }
}

test('open: creates the database and its WAL files with mode 0600', async (t) => {
  const path = join(await tempDir(t), 'airlock.db');
  const store = await openSqliteStore(path);
  await store.putMeta('k', new Uint8Array([1]));
  assert.equal(mode(path), 0o600);
  for (const suffix of ['-wal', '-shm']) {
    assert.ok(existsSync(path + suffix), suffix);
    assert.equal(mode(path + suffix), 0o600, suffix);
  }
  await store.close();
});

test('open: an existing file readable by others is tightened to 0600', async (t) => {
  const path = join(await tempDir(t), 'airlock.db');
  await writeFile(path, '', { mode: 0o644 });
  const store = await openSqliteStore(path);
  assert.equal(mode(path), 0o600);
  await store.close();
});

test('open: a directory, or a file that is not SQLite, is ERR_STORE', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'sub'));
  await writeFile(join(dir, 'junk.db'), 'this is not a database, just some text'.repeat(50));
  for (const path of [join(dir, 'sub'), join(dir, 'junk.db'), join(dir, 'missing', 'x.db')]) {
    await assert.rejects(openSqliteStore(path), (err) => isAirlockError(err, 'ERR_STORE'), path);
  }
  await assert.rejects(openSqliteStore(''), TypeError);
  await assert.rejects(openSqliteStore(join(dir, 'a.db'), { busyTimeoutMs: -1 }), TypeError);
});

test('migrations: applied once, in WAL mode; reopening is idempotent and keeps data', async (t) => {
  const path = join(await tempDir(t), 'airlock.db');
  let store = await openSqliteStore(path, { clock });
  await store.putMeta('k', new Uint8Array([4, 2]));
  await store.close();
  const first = inspect(path);
  assert.equal(first.version, LATEST);
  assert.equal(first.journal, 'wal');
  assert.deepEqual(
    first.applied,
    SQLITE_MIGRATIONS.map((m) => ({ version: m.version, applied_at: clock.now() })),
  );

  store = await openSqliteStore(path, { clock: { now: () => 5 } });
  assert.deepEqual([...((await store.getMeta('k')) ?? [])], [4, 2]);
  await store.close();
  assert.deepEqual(inspect(path), first);
});

test('migrations: a database newer than the code is refused and left untouched', async (t) => {
  const path = join(await tempDir(t), 'airlock.db');
  const store = await openSqliteStore(path);
  await store.close();
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA user_version = ${LATEST + 1}`);
  db.close();
  await assert.rejects(openSqliteStore(path), (err) => isAirlockError(err, 'ERR_STORE'));
  assert.equal(inspect(path).version, LATEST + 1);
});

test('migrations: a failing step rolls back every step of that run', () => {
  const db = new DatabaseSync(':memory:');
  const steps = [
    { version: 1, sql: SQLITE_MIGRATIONS[0]?.sql ?? '' },
    { version: 2, sql: 'CREATE TABLE extra (x INTEGER) STRICT;' },
    { version: 3, sql: 'CREATE TABLE broken (' },
  ];
  assert.throws(
    () => applyMigrations(db, steps, clock),
    (err) => isAirlockError(err, 'ERR_STORE'),
  );
  assert.equal(scalar(db, 'PRAGMA user_version'), 0);
  assert.deepEqual(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all(), []);
  assert.equal(db.isTransaction, false);

  assert.equal(applyMigrations(db, steps.slice(0, 2), clock), 2);
  assert.equal(applyMigrations(db, steps.slice(0, 2), clock), 2);
  assert.equal(scalar(db, 'SELECT COUNT(*) FROM schema_migrations'), 2);
  db.close();
});

test('migrations: a list with a gap or out of order is a TypeError', () => {
  const db = new DatabaseSync(':memory:');
  assert.throws(() => applyMigrations(db, [{ version: 2, sql: 'SELECT 1' }], clock), TypeError);
  assert.equal(db.isTransaction, false);
  db.close();
});

test('open: ":memory:" gives a private, working store', async () => {
  const store = await openSqliteStore(':memory:');
  await store.putMeta('k', new Uint8Array([1]));
  assert.deepEqual([...((await store.getMeta('k')) ?? [])], [1]);
  await store.close();
});

test('migration 6: a version-5 audit table loses its four low-selectivity indexes, keeping its rows', async (t) => {
  const path = join(await tempDir(t), 'airlock.db');
  const db = new DatabaseSync(path);
  applyMigrations(db, SQLITE_MIGRATIONS.slice(0, 5), clock);
  db.exec(`INSERT INTO audit_events (seq, id, time_ms, workspace_id, kind, event, prev_hash, hash)
           VALUES (1, 'evt_1', 1, 'ws_1', 'proxy.request', '{}', 'p', 'h')`);
  const indexes = (): unknown[] =>
    db
      .prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events' AND sql IS NOT NULL ORDER BY name",
      )
      .all()
      .map((r) => r.name);
  assert.equal(indexes().length, 8);
  assert.equal(applyMigrations(db, SQLITE_MIGRATIONS, clock), LATEST);
  assert.deepEqual(indexes(), [
    'audit_by_agent',
    'audit_by_task',
    'audit_by_time',
    'audit_by_workspace',
  ]);
  assert.equal(scalar(db, 'SELECT count(*) FROM audit_events'), 1);
  db.close();
});
