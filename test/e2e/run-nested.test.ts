/**
 * `airlock run` inside `airlock run` exchanges the token for a narrower
 * one through airlock.internal (the sub-agent gets only what it is given,
 * with the chain recorded); a placeholder sent to a host its secret is not
 * bound to is refused and never forwarded; `airlock env` prints the same
 * environment for a container.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, tempDir } from '../helpers/airlock.ts';
import { runChild } from '../helpers/child.ts';
import {
  GITHUB_HOST,
  GITHUB_SECRET,
  OPENAI_HOST,
  OPENAI_SECRET,
  type RunFixture,
  startRunFixture,
} from '../helpers/run.ts';

let f: RunFixture;

before(async () => {
  f = await startRunFixture();
});

after(async () => {
  await f?.close();
});

const openai = (): string => `https://${OPENAI_HOST}:${f.openai.port}/v1/echo`;
const github = (): string => `https://${GITHUB_HOST}:${f.github.port}/repos/acme/echo`;

test('placeholder-to-foreign-host: refused with ERR_PLACEHOLDER_DESTINATION, recorded, the upstream receives nothing', async () => {
  const before = f.github.requests.length;
  const r = await f.run(
    [],
    ['/bin/sh', '-c', `curl -sS -w '\\n%{http_code}' -H "X-Leak: $OPENAI_API_KEY" ${github()}`],
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /ERR_PLACEHOLDER_DESTINATION/);
  assert.equal(r.stdout.split('\n').at(-1), '403');
  assert.equal(f.github.requests.length, before, 'the upstream received nothing');
  assert.ok(!r.stdout.includes(OPENAI_SECRET));
  const audit = await f.cli(['audit', 'query', '--json', '--limit', '50']);
  assert.match(audit.stdout, /ERR_PLACEHOLDER_DESTINATION/);
});

test('nested run: the sub-agent gets a narrower token, only its placeholders, and the chain is recorded', async () => {
  const inner = [
    // A shell default, not a template: unset when the nested run gave no GITHUB_TOKEN.
    'printf "openai=%s\\ngithub=%s\\n" "$OPENAI_API_KEY" "$' + '{GITHUB_TOKEN:-unset}"',
    `curl -sS -o /dev/null -w 'openai-status=%{http_code}\\n' -H "Authorization: Bearer $OPENAI_API_KEY" ${openai()}`,
    `curl -sS -o /dev/null -w 'github-status=%{http_code}\\n' ${github()} 2>/dev/null || echo github-refused`,
    'curl -sS http://airlock.internal/v1/whoami; echo',
  ].join('; ');
  const outer = [
    'echo "outer-openai=$OPENAI_API_KEY"',
    `"${process.execPath}" "${CLI}" run --agent helper --scope openai -- /bin/sh -c '${inner.replace(/'/g, `'\\''`)}'`,
    'echo "inner-exit=$?"',
  ].join('; ');
  const r = await f.run([], ['/bin/sh', '-c', outer]);
  assert.equal(r.code, 0, r.stderr);
  const outerKey = /^outer-openai=(.*)$/m.exec(r.stdout)?.[1];
  assert.match(outerKey ?? '', /^alk_ph_/);
  assert.match(r.stdout, new RegExp(`^openai=${outerKey}$`, 'm'), 'same task, same placeholder');
  assert.match(r.stdout, /^github=unset$/m, 'no placeholder outside the narrower scope');
  assert.match(r.stdout, /^openai-status=200$/m);
  assert.match(r.stdout, /^github-refused$|^github-status=403$/m);
  assert.match(r.stdout, /^inner-exit=0$/m);
  const whoami = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{')) ?? '{}') as {
    agent: string;
    scope: string;
    chain: { sub: string; agent?: string }[];
  };
  assert.equal(whoami.agent, 'helper');
  assert.equal(whoami.scope, 'openai');
  assert.deepEqual(
    whoami.chain.map((c) => c.agent ?? c.sub),
    ['coder', 'user:owner'],
  );
  assert.equal(f.openai.requests.at(-1)?.headers.authorization, `Bearer ${OPENAI_SECRET}`);
  assert.ok(!r.stdout.includes(OPENAI_SECRET) && !r.stdout.includes(GITHUB_SECRET));
});

test('nested run: a scope wider than the run’s is refused, never clipped', async () => {
  const outer = `"${process.execPath}" "${CLI}" run --scope github:DELETE -- /bin/true; echo "inner-exit=$?"`;
  const r = await f.run(['--scope', 'openai'], ['/bin/sh', '-c', outer]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^inner-exit=1$/m);
  assert.match(r.stderr, /ERR_SCOPE_EXCEEDS_PARENT|ERR_INVALID_SCOPE/);
});

test('nested run: its token is revoked when its command ends, and it may not revoke its parent’s', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const outerFile = join(dir, 'outer-proxy');
    const innerFile = join(dir, 'inner-proxy');
    const revokeParent = `curl -sS -w '\\nrevoke-parent=%{http_code}\\n' http://airlock.internal/oauth/revoke --data-urlencode "token=$(sed -E 's|^http://[^:]*:([^@]*)@.*$|\\1|' ${outerFile})"`;
    const inner = [`printf %s "$HTTPS_PROXY" > ${innerFile}`, revokeParent].join('; ');
    const outer = [
      `printf %s "$HTTPS_PROXY" > ${outerFile}`,
      `"${process.execPath}" "${CLI}" run --agent helper --scope openai -- /bin/sh -c '${inner.replace(/'/g, `'\\''`)}'`,
      `curl -sS -o /dev/null -w 'outer-after=%{http_code}\\n' -H "Authorization: Bearer $OPENAI_API_KEY" ${openai()}`,
      `curl -sS -o /dev/null -w 'inner-after=%{http_connect}\\n' --proxy "$(cat ${innerFile})" ${openai()} || true`,
    ].join('; ');
    const r = await f.run([], ['/bin/sh', '-c', outer]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^revoke-parent=403$/m, 'a sub-agent cannot revoke the token above it');
    assert.match(r.stdout, /^outer-after=200$/m, 'the parent keeps working');
    assert.match(r.stdout, /^inner-after=401$/m, 'the nested token died with its command');
  } finally {
    await cleanup();
  }
});

test('airlock env prints the run environment for a container, with the CA bundle beside it', async () => {
  const out = await tempDir('airlock-env-test-');
  try {
    const r = await f.cli([
      'env',
      '--agent',
      'coder',
      '--scope',
      'openai',
      '--format',
      'json',
      '--out',
      out.dir,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const env = JSON.parse(r.stdout) as Record<string, string>;
    assert.match(env.OPENAI_API_KEY ?? '', /^alk_ph_/);
    assert.equal(env.GITHUB_TOKEN, undefined);
    assert.equal(env.PATH, undefined);
    assert.equal(env.HOME, undefined);
    const bundle = join(out.dir, 'airlock-ca-bundle.pem');
    assert.equal(env.SSL_CERT_FILE, bundle);
    assert.ok(existsSync(bundle));
    assert.ok(!r.stdout.includes(OPENAI_SECRET) && !r.stdout.includes(GITHUB_SECRET));
    const task = /task (task_[0-9a-z]+)/.exec(r.stderr)?.[1];
    assert.ok(task !== undefined, r.stderr);
    // The printed environment is all a client needs.
    const used = await runChild(
      '/bin/sh',
      ['-c', `curl -sS -H "Authorization: Bearer $OPENAI_API_KEY" ${openai()}`],
      { env },
    );
    assert.match(used.stdout, /"authorization":"Bearer alk_ph_/, used.stderr);
    assert.equal(f.openai.requests.at(-1)?.headers.authorization, `Bearer ${OPENAI_SECRET}`);
    const dotenv = await f.cli(['env', '--agent', 'coder', '--out', out.dir]);
    assert.match(dotenv.stdout, /^OPENAI_API_KEY=alk_ph_[0-9a-z]{32}$/m);
    const shell = await f.cli(['env', '--agent', 'coder', '--format', 'shell', '--out', out.dir]);
    assert.match(shell.stdout, /^export NO_PROXY='localhost,127\.0\.0\.1,::1'$/m);
    assert.equal((await f.cli(['revoke', '--task', task])).code, 0);
  } finally {
    await out.cleanup();
  }
});
