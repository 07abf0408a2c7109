import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AirlockError } from '../core/index.ts';
import { resolveRunUser } from './user.ts';

const isRoot = process.getuid?.() === 0;

let dir: string;
let passwd: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-user-test-'));
  passwd = join(dir, 'passwd');
  await writeFile(
    passwd,
    [
      'root:x:0:0:root:/root:/bin/bash',
      '+nisuser::::::',
      'broken:x:notanumber:1:broken:/x:/bin/sh',
      'agent:x:1500:1600:An agent:/home/agent:/bin/sh',
      'svc$:x:1501:1601::/srv/svc:/usr/sbin/nologin',
      '',
    ].join('\n'),
  );
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function isInvalid(pattern: RegExp): (err: unknown) => boolean {
  return (err) =>
    err instanceof AirlockError && err.code === 'ERR_INVALID_ARGUMENT' && pattern.test(err.message);
}

// Refused before anything is looked up, as any user.
for (const spec of [
  '',
  '-x',
  '--help',
  '../root',
  'a b',
  'a:b',
  'a\nroot',
  '1.5',
  '-1',
  'x'.repeat(40),
]) {
  test(`user-spec-injection: --user ${JSON.stringify(spec.slice(0, 12))} is refused`, async (t) => {
    t.plan(1);
    await t.assert.rejects(resolveRunUser(spec, passwd), isInvalid(/a user name or a numeric uid/));
  });
}

test('a name and a uid resolve to the passwd entry', {
  skip: !isRoot && 'needs root',
}, async () => {
  const agent = { name: 'agent', uid: 1500, gid: 1600, home: '/home/agent' };
  assert.deepEqual(await resolveRunUser('agent', passwd), agent);
  assert.deepEqual(await resolveRunUser('1500', passwd), agent);
  assert.deepEqual(await resolveRunUser('svc$', passwd), {
    name: 'svc$',
    uid: 1501,
    gid: 1601,
    home: '/srv/svc',
  });
  assert.equal((await resolveRunUser('0', passwd)).name, 'root');
});

test('unknown users and malformed entries are not found', {
  skip: !isRoot && 'needs root',
}, async (t) => {
  t.plan(3);
  for (const spec of ['nobody-here', '4242', 'broken']) {
    await t.assert.rejects(resolveRunUser(spec, passwd), isInvalid(/no such user/));
  }
});

test('without root, --user is refused and says why', {
  skip: isRoot && 'runs as root',
}, async (t) => {
  t.plan(1);
  await t.assert.rejects(resolveRunUser('agent', passwd), isInvalid(/--user needs root/));
});
