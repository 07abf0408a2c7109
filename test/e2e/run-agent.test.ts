/**
 * `airlock run` end to end (issue 5): a compromised agent sees no real
 * secret anywhere it can look, though the upstream received it; a key
 * exported in the parent shell reaches the child only as a placeholder;
 * curl, Node fetch and Python urllib work with no configuration of their
 * own; the exit status is the command's; signals are forwarded; and when
 * the command exits the task is revoked and its directory removed.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runChild } from '../helpers/child.ts';
import {
  GITHUB_HOST,
  GITHUB_SECRET,
  OPENAI_HOST,
  OPENAI_SECRET,
  type RunFixture,
  startRunFixture,
} from '../helpers/run.ts';

const PYTHON = '/usr/bin/env';
const AGENT = join(import.meta.dirname, '..', 'fixtures', 'compromised-agent.ts');

let f: RunFixture;
let python: string;

before(async () => {
  f = await startRunFixture();
  // The interpreter itself, so no version manager needs HOME.
  const py = await runChild(PYTHON, ['python3', '-c', 'import sys; print(sys.executable)']);
  python = py.stdout.trim();
});

after(async () => {
  await f?.close();
});

function openaiUrl(path = '/v1/echo'): string {
  return `https://${OPENAI_HOST}:${f.openai.port}${path}`;
}

/** Every form of the secrets a leak could take. */
function leaks(text: string): string[] {
  const forms = [OPENAI_SECRET, GITHUB_SECRET].flatMap((s) => [
    s,
    Buffer.from(s).toString('base64').slice(0, 20),
    encodeURIComponent(s),
  ]);
  return forms.filter((v) => text.includes(v));
}

test('compromised agent: the secret is in none of what it can see, though the upstream received it', async () => {
  const r = await f.run([], [process.execPath, AGENT, openaiUrl()]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(leaks(r.stdout + r.stderr), [], 'no secret in the agent’s view');
  assert.match(r.stdout, /^200$/m, 'the echo call went through');
  const key = /^KEY=(.*)$/m.exec(r.stdout)?.[1] ?? '';
  assert.match(key, /^alk_ph_[0-9a-z]{32}$/);
  // The echo carried the placeholder back, where the upstream had the value.
  assert.ok(r.stdout.includes(`"x-echo-me":"${key}"`));
  const seen = f.openai.requests.at(-1);
  assert.equal(seen?.headers.authorization, `Bearer ${OPENAI_SECRET}`);
  assert.equal(seen?.headers['x-echo-me'], OPENAI_SECRET);
  assert.deepEqual(JSON.parse(seen?.body ?? '{}'), { key: OPENAI_SECRET, note: 'exfiltrate' });
});

test('OPENAI_API_KEY exported in the parent shell: the child sees only the placeholder', async () => {
  const r = await f.run(
    [],
    ['/bin/sh', '-c', 'printf "%s\\n%s\\n" "$OPENAI_API_KEY" "$GITHUB_TOKEN"; env'],
    f.parentEnv({ AWS_SECRET_ACCESS_KEY: 'aws-real-secret-value', UNRELATED: 'x' }),
  );
  assert.equal(r.code, 0, r.stderr);
  const [openai, github] = r.stdout.split('\n');
  assert.match(openai ?? '', /^alk_ph_[0-9a-z]{32}$/);
  assert.match(github ?? '', /^alk_ph_[0-9a-z]{32}$/);
  assert.notEqual(openai, github);
  assert.deepEqual(leaks(r.stdout), []);
  assert.ok(!r.stdout.includes('aws-real-secret-value'), 'unlisted variables are dropped');
  assert.ok(!/^UNRELATED=/m.test(r.stdout));
  for (const name of [
    'HTTPS_PROXY',
    'HTTP_PROXY',
    'https_proxy',
    'http_proxy',
    'SSL_CERT_FILE',
    'NODE_EXTRA_CA_CERTS',
    'REQUESTS_CA_BUNDLE',
    'CURL_CA_BUNDLE',
    'GIT_SSL_CAINFO',
    'AWS_CA_BUNDLE',
    'DENO_CERT',
  ]) {
    assert.match(r.stdout, new RegExp(`^${name}=`, 'm'), name);
  }
  assert.match(r.stdout, /^NO_PROXY=localhost,127\.0\.0\.1,::1$/m);
  assert.match(r.stdout, /^NODE_USE_ENV_PROXY=1$/m);
  assert.match(r.stdout, new RegExp(`^HOME=${f.userHome}$`, 'm'));
});

test('a --pass of a variable that looks like a credential is refused', async () => {
  const r = await f.run(['--pass', 'AWS_SECRET_ACCESS_KEY'], ['/bin/true']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /looks like a credential; .* \[ERR_INVALID_ARGUMENT\]/);
});

test('curl inside airlock run works with no configuration of its own', async () => {
  const r = await f.run(
    [],
    ['/bin/sh', '-c', `curl -sS -H "Authorization: Bearer $OPENAI_API_KEY" ${openaiUrl()}`],
  );
  assert.equal(r.code, 0, r.stderr);
  const body = JSON.parse(r.stdout) as { headers: Record<string, string> };
  assert.match(body.headers.authorization ?? '', /^Bearer alk_ph_/);
  assert.equal(f.openai.requests.at(-1)?.headers.authorization, `Bearer ${OPENAI_SECRET}`);
});

test('Node fetch inside airlock run works with no configuration of its own', async () => {
  const script = `const r = await fetch(${JSON.stringify(openaiUrl())}, { headers: { authorization: 'Bearer ' + process.env.OPENAI_API_KEY } }); console.log(r.status, JSON.parse(await r.text()).headers.authorization);`;
  const r = await f.run([], [process.execPath, '--input-type=module', '-e', script]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^200 Bearer alk_ph_/);
  assert.equal(f.openai.requests.at(-1)?.headers.authorization, `Bearer ${OPENAI_SECRET}`);
});

test('Python urllib inside airlock run works with no configuration of its own', async () => {
  const script = [
    'import json, os, urllib.request',
    `req = urllib.request.Request(${JSON.stringify(`https://${GITHUB_HOST}:${f.github.port}/repos/acme/echo`)}, headers={"Authorization": "token " + os.environ["GITHUB_TOKEN"]})`,
    'with urllib.request.urlopen(req) as r: print(r.status, json.load(r)["headers"]["authorization"])',
  ].join('\n');
  const r = await f.run([], [python, '-c', script]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^200 Bearer alk_ph_/);
  assert.equal(f.github.requests.at(-1)?.headers.authorization, `Bearer ${GITHUB_SECRET}`);
});

test('the exit status is the command’s', async () => {
  const r = await f.run([], ['/bin/sh', '-c', 'exit 7']);
  assert.equal(r.code, 7);
  const missing = await f.run([], ['/nonexistent/agent']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /\[ERR_COMMAND_FAILED\]/);
});

test('SIGTERM reaches the command, whose status airlock run exits with', async () => {
  const child = f.spawnRun(
    [],
    ['/bin/sh', '-c', 'trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done'],
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    let out = '';
    let err = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err += d;
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('ready')) resolve();
      });
      void exited.then((code) => reject(new Error(`exited early (${code}): ${out} ${err}`)));
    });
    child.kill('SIGTERM');
    assert.equal(await exited, 42);
  } finally {
    // Whatever happened, nothing this test started outlives it.
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // ESRCH: the group is already empty.
    }
  }
});

test('placeholder-after-task-end: when the command exits its token and placeholders stop working, and its directory is gone', async () => {
  const first = await f.run(
    [],
    ['/bin/sh', '-c', 'printf "%s\\n%s\\n%s\\n" "$HTTPS_PROXY" "$SSL_CERT_FILE" "$OPENAI_API_KEY"'],
  );
  assert.equal(first.code, 0, first.stderr);
  const [proxyUrl, caFile, placeholder] = first.stdout.split('\n');
  assert.ok(caFile !== undefined && !existsSync(caFile), 'the private directory was removed');
  const before = f.openai.requests.length;
  // The ended run's token no longer opens a tunnel.
  const stale = await runChild('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--proxy',
    proxyUrl ?? '',
    '-k',
    openaiUrl(),
  ]);
  assert.notEqual(stale.stdout, '200');
  // Its placeholder, presented by a live task, is refused and never forwarded.
  const second = await f.run(
    [],
    ['/bin/sh', '-c', `curl -sS -H "X-Old: ${placeholder}" ${openaiUrl()}`],
  );
  assert.match(second.stdout, /ERR_PLACEHOLDER_DESTINATION/);
  assert.equal(f.openai.requests.length, before, 'the upstream received nothing');
  const audit = await f.cli(['audit', 'query', '--json', '--limit', '50']);
  assert.match(audit.stdout, /ERR_PLACEHOLDER_DESTINATION/, 'the refusal is on record');
});
