/**
 * Isolation under `airlock run` (issue 10), as root as CI runs it: inside
 * the sandbox the agent reaches the proxy and nothing of Airlock's. It
 * cannot read the home, use the admin socket or port, see another
 * process's environment, signal the server, connect out directly (fast
 * refusal, no hang) or undo the hiding; its legitimate calls through the
 * proxy still work (curl, Node and Python are in run-agent.test.ts, which
 * now runs isolated; git is here); a long-running agent survives a secret
 * rotation and a server restart; `--no-isolation` warns in one line; and
 * where the sandbox cannot be built, run refuses with
 * ERR_ISOLATION_UNAVAILABLE.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli, tempDir } from '../helpers/airlock.ts';
import {
  GITHUB_HOST,
  GITHUB_SECRET,
  OPENAI_HOST,
  OPENAI_SECRET,
  type RunFixture,
  startRunFixture,
  steppedAgent,
  steppedCalls,
} from '../helpers/run.ts';

let f: RunFixture;

before(async () => {
  f = await startRunFixture();
});

after(async () => {
  await f?.close();
});

const openai = (): string => `https://${OPENAI_HOST}:${f.openai.port}/v1/echo`;

/** `name=STATUS` lines a probe script prints, as a map. */
function statuses(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stdout.matchAll(/^([a-z0-9-]+)=(.*)$/gm)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

test('isolated agent: the home, the admin socket and port, other processes and the direct network are all out of reach', async () => {
  const { paths } = f.home;
  const api = f.server.api.port;
  const server = process.pid;
  const probe = [
    `cat ${paths.config} >/dev/null 2>&1; echo "read-config=$?"`,
    `cat ${paths.rootKeyFile} >/dev/null 2>&1; echo "read-root-key=$?"`,
    `cat ${paths.store} >/dev/null 2>&1; echo "read-store=$?"`,
    `echo "home-entries=$(ls -A ${paths.home} | wc -l)"`,
    `curl -sS --max-time 30 --unix-socket ${paths.socket} http://x/v1/status >/dev/null 2>&1; echo "admin-socket=$?"`,
    `curl -sS --max-time 30 --noproxy '*' http://127.0.0.1:${api}/v1/status >/dev/null 2>&1; echo "admin-port=$?"`,
    `cat /proc/${server}/environ >/dev/null 2>&1; echo "server-environ=$?"`,
    `echo "pid1-environ=$(tr '\\0' '\\n' < /proc/1/environ | grep -c -E 'alk_|HTTPS_PROXY|AIRLOCK')"`,
    `kill -ABRT ${server} 2>/dev/null; echo "kill-server=$?"`,
    `curl -sS --max-time 30 --noproxy '*' -k https://127.0.0.1:${f.openai.port}/v1/echo >/dev/null 2>&1; echo "direct-ip=$?"`,
    `curl -sS --max-time 30 --noproxy '*' -k ${openai()} >/dev/null 2>&1; echo "direct-name=$?"`,
    `umount ${paths.home} 2>/dev/null; echo "umount-home=$?"`,
    `echo "cap-eff=$(awk '/^CapEff/ { print $2 }' /proc/self/status)"`,
    // Root of a new user and mount namespace of its own: the hiding mounts are locked there.
    `unshare -Um sh -c 'umount -l ${paths.home} 2>/dev/null; cat ${paths.config}' >/dev/null 2>&1; echo "userns-umount=$?"`,
    `cat ${paths.config} >/dev/null 2>&1; echo "read-config-after=$?"`,
    `curl -sS -o /dev/null -w 'proxied=%{http_code}\\n' -H "Authorization: Bearer $OPENAI_API_KEY" ${openai()}`,
  ].join('\n');
  const r = await f.run([], ['/bin/sh', '-c', probe]);
  assert.equal(r.code, 0, r.stderr);
  const s = statuses(r.stdout);
  for (const name of ['read-config', 'read-root-key', 'read-store', 'read-config-after']) {
    assert.equal(s.get(name), '1', `${name}: the home's files are not there`);
  }
  assert.equal(s.get('home-entries'), '0', 'the home is an empty directory');
  // curl 7: could not connect (refused or no such socket), not 28 (timed out).
  assert.equal(s.get('admin-socket'), '7');
  assert.equal(s.get('admin-port'), '7');
  assert.equal(s.get('direct-ip'), '7', 'a direct connection is refused at once');
  assert.equal(s.get('direct-name'), '6', 'there is no DNS but the proxy’s');
  assert.equal(s.get('server-environ'), '1', 'the server is not in the sandbox’s /proc');
  assert.equal(s.get('pid1-environ'), '0', 'PID 1 (bwrap) holds none of the agent’s variables');
  assert.equal(s.get('kill-server'), '1', 'the server cannot be signalled');
  assert.equal(s.get('umount-home'), '32', 'the agent holds no capability to undo the hiding');
  assert.equal(s.get('cap-eff'), '0000000000000000', 'no capability at all, though run as root');
  assert.equal(s.get('userns-umount'), '1', 'nor get some back in a user namespace of its own');
  assert.equal(s.get('proxied'), '200', 'the proxy is still reachable');
  assert.equal(f.openai.requests.at(-1)?.headers.authorization, `Bearer ${OPENAI_SECRET}`);
  // The server this test runs is alive and still serving.
  const status = await f.cli(['status']);
  assert.equal(status.code, 0, status.stderr);
});

test('--hide empties a path, --ro makes one read-only, and an --ro above the home does not bring it back', async () => {
  const { dir, cleanup } = await tempDir('airlock-isolation-');
  try {
    await mkdir(join(dir, 'private'));
    await writeFile(join(dir, 'private', 'creds'), 'x');
    await writeFile(join(dir, 'notes'), 'n');
    const probe = [
      `echo "hidden-entries=$(ls -A ${dir}/private | wc -l)"`,
      `echo y 2>/dev/null > ${dir}/notes; echo "write-ro=$?"`,
      `echo "read-ro=$(cat ${dir}/notes)"`,
      `echo "home-entries=$(ls -A ${f.home.paths.home} | wc -l)"`,
    ].join('\n');
    const home = dirname(f.home.paths.home);
    const r = await f.run(
      ['--hide', join(dir, 'private'), '--ro', dir, '--ro', home],
      ['/bin/sh', '-c', probe],
    );
    assert.equal(r.code, 0, r.stderr);
    const s = statuses(r.stdout);
    assert.equal(s.get('hidden-entries'), '0');
    assert.notEqual(s.get('write-ro'), '0', 'the read-only path refuses writes');
    assert.equal(s.get('read-ro'), 'n');
    assert.equal(s.get('home-entries'), '0', 'the home stays hidden under a read-only parent');
    assert.equal(await readFile(join(dir, 'notes'), 'utf8'), 'n');
  } finally {
    await cleanup();
  }
});

test('git inside an isolated run goes through the proxy, which injects the credential', async () => {
  const before = f.github.requests.length;
  const url = `https://${GITHUB_HOST}:${f.github.port}/repos/acme/echo.git`;
  // The echo upstream is no git server: ls-remote fails, but its request went through.
  await f.run([], ['/bin/sh', '-c', `git ls-remote ${url} 2>&1; echo "git=$?"`]);
  const seen = f.github.requests.slice(before);
  const fromGit = seen.find((r) => /^git\//.test(String(r.headers['user-agent'])));
  assert.ok(fromGit !== undefined, 'the upstream received git’s request');
  assert.match(fromGit.url, /^\/repos\/acme\/echo\.git\/info\/refs/);
  assert.equal(fromGit.headers.authorization, `Bearer ${GITHUB_SECRET}`);
});

test('a long-running isolated agent keeps working across a secret rotation and a server restart', async () => {
  const { dir, cleanup } = await tempDir('airlock-isolation-');
  const agent = steppedAgent(f.spawnRun([], steppedCalls(dir, openai(), 3)), dir);
  const { step } = agent;
  try {
    assert.equal(await step(1), '200');
    assert.equal(f.openai.requests.at(-1)?.headers.authorization, `Bearer ${OPENAI_SECRET}`);
    const rotated = 'sk-rotated-while-running-5e8d2c';
    const set = await runCli(['secret', 'rotate', 'openai', '--home', f.home.paths.home], {
      env: f.parentEnv(),
      stdin: rotated,
    });
    assert.equal(set.code, 0, set.stderr);
    assert.equal(await step(2), '200');
    assert.equal(f.openai.requests.at(-1)?.headers.authorization, `Bearer ${rotated}`);
    await f.restart();
    assert.equal(await step(3), '200', 'the bridge reaches the restarted server');
    assert.equal(f.openai.requests.at(-1)?.headers.authorization, `Bearer ${rotated}`);
    assert.equal(await agent.exited, 0, agent.stderr());
  } finally {
    agent.kill();
    await cleanup();
  }
});

test('--no-isolation runs the command outside the sandbox and warns in one line', async () => {
  const r = await f.run(['--no-isolation'], ['/bin/sh', '-c', `ls -A ${f.home.paths.home}`]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] ?? '', /^airlock run: warning: --no-isolation: .*Airlock home/);
  assert.match(r.stdout, /config\.json/, 'without isolation the home is visible, as warned');
});

test('where the sandbox cannot be built, run refuses with ERR_ISOLATION_UNAVAILABLE and starts nothing', async () => {
  const marker = join(f.userTmp, 'should-not-exist');
  const r = await f.run(
    [],
    ['/bin/sh', '-c', `touch ${marker}`],
    f.parentEnv({ AIRLOCK_BWRAP: '/nonexistent/bwrap' }),
  );
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\[ERR_ISOLATION_UNAVAILABLE\]/);
  assert.match(r.stderr, /--no-isolation/, 'it says how to go on');
  assert.ok(!existsSync(marker), 'the command never ran');
});
