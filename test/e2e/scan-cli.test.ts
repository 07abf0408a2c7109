// `airlock scan` against a fixture tree made by the test: planted
// credentials of several shapes, one file holding the value of a secret the
// server stores (found by keyed hash), lookalikes that must not be reported,
// and the exit codes for clean, findings and unresolved references.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../../src/server.ts';
import { initTestHome, runCli, serveTestHome, type TestHome, tempDir } from '../helpers/airlock.ts';

const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const rnd = (n: number) => [...randomBytes(n)].map((b) => B62[b % 62]).join('');
const STORED = `orchid-lantern-${rnd(12)}`;
const PLANTED = {
  github: `ghp_${rnd(36)}`,
  openai: `sk-proj-${rnd(30)}T3BlbkFJ${rnd(30)}`,
  stripe: `sk_live_${rnd(40)}`,
  slack: `xoxb-${'1234567890'}-${'9876543210'}-${rnd(24)}`,
  password: `Vq7-${rnd(16)}`,
};
let home: TestHome;
let server: RunningServer;
let tree: { dir: string; cleanup: () => Promise<void> };

async function scan(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = await runCli(['scan', ...args, '--home', home.paths.home]);
  for (const v of [STORED, ...Object.values(PLANTED)]) {
    assert.ok(!r.stdout.includes(v) && !r.stderr.includes(v), 'scan output never holds a value');
  }
  return r;
}

before(async () => {
  home = await initTestHome();
  server = await serveTestHome(home.paths);
  tree = await tempDir('airlock-scan-');
  const d = tree.dir;
  await mkdir(join(d, 'clean'), { recursive: true });
  await writeFile(join(d, 'clean', 'README.md'), '# nothing to see\nAPI_KEY=changeme\n');
  await mkdir(join(d, 'repo', '.github', 'workflows'), { recursive: true });
  await mkdir(join(d, 'repo', 'config'), { recursive: true });
  await mkdir(join(d, 'repo', 'node_modules', 'pkg'), { recursive: true });
  await writeFile(join(d, 'repo', '.env'), `GITHUB_TOKEN=${PLANTED.github}\nDEBUG=1\n`);
  await writeFile(join(d, 'repo', '.bashrc'), `export OPENAI_API_KEY="${PLANTED.openai}"\n`);
  await writeFile(
    join(d, 'repo', 'config', 'app.json'),
    JSON.stringify({ billing: { stripe: PLANTED.stripe } }, null, 2),
  );
  await writeFile(join(d, 'repo', 'config', 'db.yaml'), `db:\n  password: ${PLANTED.password}\n`);
  await writeFile(
    join(d, 'repo', '.github', 'workflows', 'ci.yml'),
    `env:\n  SLACK_TOKEN: ${PLANTED.slack}\n  GH: \${{ secrets.GITHUB_TOKEN }}\n`,
  );
  await writeFile(join(d, 'repo', 'notes.txt'), `the db answers to ${STORED} on tuesdays\n`);
  await writeFile(join(d, 'repo', 'node_modules', 'pkg', 'leak.env'), `TOKEN=${PLANTED.github}\n`);
  await writeFile(
    join(d, 'repo', 'lookalikes.env'),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal interpolation is the test data
    'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nGITHUB_TOKEN=alk_ph_7m3k9q2x8v4n6p1r5t0w\nSECRET=encrypted:BDb7t1WJ3yWCBuGWt7uFQ3oqCEvh6Fykvv\nTOKEN=${TOKEN}\n',
  );
  await writeFile(join(d, 'repo', 'image.bin'), Buffer.from([0, 1, 2, 3, 0, 255]));
  const set = await runCli(['secret', 'set', 'db', '--home', home.paths.home], { stdin: STORED });
  assert.equal(set.code, 0, set.stderr);
});

after(async () => {
  await server?.close();
  await tree?.cleanup();
  await home?.cleanup();
});

test('a clean tree exits 0', async () => {
  const r = await scan([join(tree.dir, 'clean')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /0 finding\(s\) in 1 file\(s\)/);
});

test('planted secrets are found, including one that matches a stored value, and no lookalike; exit 1', async () => {
  const r = await scan([join(tree.dir, 'repo'), '--json']);
  assert.equal(r.code, 1, r.stderr);
  const report = JSON.parse(r.stdout) as {
    findings: {
      rule: string;
      path: string;
      line: number;
      secret: string | null;
      excerpt: string;
    }[];
  };
  const found = report.findings
    .map((f) => `${f.path.slice(tree.dir.length + 6)}:${f.line} ${f.rule}`)
    .sort();
  assert.deepEqual(found, [
    '.bashrc:1 openai-api-key',
    '.env:1 github-token',
    '.github/workflows/ci.yml:2 slack-token',
    'config/app.json:3 stripe-secret-key',
    'config/db.yaml:2 generic-assignment',
    'notes.txt:1 airlock-secret',
  ]);
  assert.equal(report.findings.find((f) => f.rule === 'airlock-secret')?.secret, 'db');
  const table = await scan([join(tree.dir, 'repo')]);
  assert.equal(table.code, 1);
  assert.match(table.stdout, /notes\.txt:1:\d+\s+airlock-secret/);
});

test('--sarif prints SARIF 2.1.0 with one result per finding', async () => {
  const r = await scan([join(tree.dir, 'repo'), '--sarif']);
  assert.equal(r.code, 1);
  const sarif = JSON.parse(r.stdout) as {
    version: string;
    runs: {
      results: {
        ruleId: string;
        locations: { physicalLocation: { region: { startLine: number } } }[];
      }[];
    }[];
  };
  assert.equal(sarif.version, '2.1.0');
  assert.equal(sarif.runs[0]?.results.length, 6);
  assert.ok(
    sarif.runs[0]?.results.every(
      (x) => x.locations[0]?.physicalLocation.region.startLine !== undefined,
    ),
  );
});

test('--offline compares no stored values', async () => {
  const r = await scan([join(tree.dir, 'repo', 'notes.txt'), '--offline']);
  assert.equal(r.code, 0);
});

test('a reference that does not resolve makes the scan exit 2', async () => {
  for (const args of [
    ['secret', 'ref', 'ghost', 'env:NOT_SET_ANYWHERE'],
    [
      'service',
      'add',
      'ghost',
      '--host',
      'api.example.com',
      '--secret',
      'ghost',
      '--auth',
      'bearer',
    ],
  ]) {
    const r = await runCli([...args, '--home', home.paths.home]);
    assert.equal(r.code, 0, r.stderr);
  }
  const r = await scan([join(tree.dir, 'clean')]);
  assert.equal(r.code, 2);
  assert.match(
    r.stdout,
    /unresolved reference: ghost -> env:NOT_SET_ANYWHERE \(ERR_PROVIDER_NOT_FOUND\)/,
  );
});
