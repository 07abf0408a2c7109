// Reading the secret: a compromised agent under `airlock run` looks for the
// real value everywhere it can reach: its environment, /proc, its parent's
// environment, the run's files, Airlock's data directory, the CLI, the
// admin API under every role, and the audit trail.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, type TestContext, test } from 'node:test';
import { api, errorCode } from '../helpers/airlock.ts';
import { GITHUB_SECRET, OPENAI_SECRET, type RunFixture, startRunFixture } from '../helpers/run.ts';
import { check, encodings } from './harness.ts';

type Json = Record<string, unknown>;
let f: RunFixture;
let script: string;

before(async () => {
  f = await startRunFixture();
  script = join(f.userTmp, 'snoop.mjs');
  // The agent: dumps whatever argv[2] names and prints it (its exfiltration channel).
  await writeFile(
    script,
    `import { readFileSync, readdirSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
const what = process.argv[2];
const out = [];
const walk = (dir, depth = 0) => {
  if (depth > 8) return;
  let names = [];
  try { names = readdirSync(dir); } catch { return; }
  for (const n of names) {
    const p = join(dir, n);
    try {
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p, depth + 1);
      else if (st.isFile()) out.push(p + '\\n' + readFileSync(p, 'latin1'));
    } catch {}
  }
};
const read = (p) => { try { out.push(readFileSync(p, 'latin1')); } catch (e) { out.push('unreadable ' + e.code); } };
if (what === 'env') out.push(JSON.stringify(process.env));
if (what === 'proc-self') { read('/proc/self/environ'); read('/proc/self/cmdline'); }
if (what === 'proc-parent') { read('/proc/' + process.ppid + '/environ'); read('/proc/' + process.ppid + '/cmdline'); }
if (what === 'files') { walk(process.env.TMPDIR ?? '/tmp'); walk(process.env.HOME ?? '/'); for (const v of Object.values(process.env)) if (v && v.startsWith('/') && !v.includes(':')) walk(v); }
if (what === 'home') walk(process.argv[3]);
console.log(out.join('\\n'));
`,
  );
});
after(() => f?.close());

/** Every form of either secret in `text`. */
function leaks(text: string): string[] {
  return [OPENAI_SECRET, GITHUB_SECRET].flatMap(encodings).filter((e) => text.includes(e));
}

async function snoop(t: TestContext, what: string, extra: string[] = []): Promise<string> {
  const r = await f.run([], [process.execPath, script, what, ...extra]);
  t.assert.equal(r.code, 0, r.stderr);
  t.assert.deepEqual(leaks(r.stdout + r.stderr), [], 'no form of a secret in what the agent read');
  return r.stdout;
}

test('read-secret-from-environment', async (t) => {
  t.plan(3);
  const out = await snoop(t, 'env');
  t.assert.match(out, /"OPENAI_API_KEY":"alk_ph_[0-9a-z]+"/, 'only a placeholder');
});

test('read-secret-from-proc-self-environ', async (t) => {
  t.plan(2);
  await snoop(t, 'proc-self');
});

test('read-secret-from-parent-environ', async (t) => {
  // The parent shell exported the real keys; `airlock run` must not carry them in its own environment.
  t.plan(2);
  await snoop(t, 'proc-parent');
});

test('read-secret-from-run-temporary-files', async (t) => {
  t.plan(2);
  await snoop(t, 'files');
});

test('read-secret-from-data-directory', async (t) => {
  t.plan(2);
  await snoop(t, 'home', [f.home.paths.home]);
});

test('read-secret-from-cli-output-and-errors', async (t) => {
  t.plan(2);
  const runs = await Promise.all(
    [
      ['secret', 'list'],
      ['secret', 'get', 'openai'],
      ['service', 'list'],
      ['status', '--json'],
      ['audit', '--json'],
      ['export'],
      ['secret', 'set', 'openai', OPENAI_SECRET],
      ['env', '--agent', 'coder'],
    ].map((args) => f.cli(args)),
  );
  const text = runs.map((r) => r.stdout + r.stderr).join('\n');
  t.assert.deepEqual(leaks(text.replaceAll(`secret set openai ${OPENAI_SECRET}`, '')), []);
  check(
    t,
    runs.some((r) => r.code !== 0),
    'some of these were refused',
  );
});

test('read-secret-through-every-api-route-under-every-role', async (t) => {
  t.plan(4);
  const keys: Record<string, string> = { owner: f.home.ownerKey };
  for (const role of ['admin', 'operator', 'auditor']) {
    const r = await api(f.server, f.home.ownerKey, 'POST', '/v1/apikeys', {
      name: `k-${role}`,
      role,
    });
    keys[role] = String(r.body.key);
  }
  const routes = [
    '/v1/secrets',
    '/v1/secrets/openai',
    '/v1/services',
    '/v1/services/openai',
    '/v1/agents',
    '/v1/agents/coder',
    '/v1/grants',
    '/v1/apikeys',
    '/v1/export',
    '/v1/audit?limit=1000',
    '/v1/audit/verify',
    '/v1/audit/access-review',
    '/v1/ca',
    '/v1/refs',
    '/v1/providers',
    '/v1/fingerprints',
  ];
  const seen: string[] = [];
  let statuses = 0;
  for (const key of Object.values(keys)) {
    for (const route of routes) {
      const r = await fetch(`http://127.0.0.1:${f.server.api.port}${route}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      statuses++;
      seen.push(await r.text());
    }
  }
  t.assert.equal(statuses, routes.length * 4);
  t.assert.deepEqual(leaks(seen.join('\n')), []);
  const agentTry = await api(f.server, 'alk_agent_not_an_admin_key', 'GET', '/v1/secrets');
  t.assert.equal(errorCode(agentTry.body), 'ERR_UNAUTHENTICATED');
  // The agent's try is on record, without the key it presented.
  const deadline = Date.now() + 10_000;
  let failed: Json[] = [];
  while (failed.length === 0 && Date.now() < deadline) {
    const r = await api(f.server, f.home.ownerKey, 'GET', '/v1/audit?kind=auth.failed&limit=1000');
    failed = (r.body.events as Json[]).filter((e) => (e.event as Json).path === '/v1/secrets');
    if (failed.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  check(t, failed.length > 0 && !JSON.stringify(failed).includes('alk_agent_not_an_admin_key'));
});

test('read-secret-from-audit-trail-and-logs', async (t) => {
  t.plan(2);
  // An injection happened (the run above called nothing, so make one).
  const r = await f.run(
    [],
    [
      'curl',
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      `https://api.openai.test:${f.openai.port}/v1/echo`,
    ],
  );
  t.assert.equal(r.stdout.trim(), '200', r.stderr);
  const all = await api(f.server, f.home.ownerKey, 'GET', '/v1/audit?limit=1000');
  t.assert.deepEqual(leaks(JSON.stringify(all.body as Json)), []);
});
