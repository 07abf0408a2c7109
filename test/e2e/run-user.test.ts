/**
 * Isolation under `airlock run` with another uid (issue 10). As root, as CI
 * runs it: `--user nobody` runs the agent as nobody, which reaches the
 * proxy (through the run's relay socket, across a server restart) and
 * nothing of Airlock's; `--user` refuses an unknown user, odd input,
 * `--no-isolation` and a TMPDIR the user cannot reach before anything
 * starts. And as an unprivileged user, where the machine allows
 * unprivileged user namespaces: the whole thing (init, serve, run) as
 * nobody shows the same isolation, and `--user` is refused there.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeBwrap } from '../../src/run/index.ts';
import { CLI, spawnServe, tempDir } from '../helpers/airlock.ts';
import { runChild } from '../helpers/child.ts';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import {
  echo,
  OPENAI_HOST,
  OPENAI_SECRET,
  type RunFixture,
  startRunFixture,
  steppedAgent,
  steppedCalls,
} from '../helpers/run.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';

const isRoot = process.getuid?.() === 0;

/** The `nobody` account, looked up with the system's own tools. */
async function nobody(): Promise<{ uid: number; gid: number } | null> {
  const uid = await runChild('id', ['-u', 'nobody']);
  const gid = await runChild('id', ['-g', 'nobody']);
  if (uid.code !== 0 || gid.code !== 0) return null;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** `name=STATUS` lines a probe script prints, as a map. */
function statuses(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of stdout.matchAll(/^([a-z0-9-]+)=(.*)$/gm)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

/** A probe script line: run `cmd` quietly and print `name=STATUS`. */
const status = (name: string, cmd: string): string => `${cmd} >/dev/null 2>&1; echo "${name}=$?"`;

const proxiedCall = (url: string): string =>
  `curl -sS -o /dev/null -w 'proxied=%{http_code}\\n' -H "Authorization: Bearer $OPENAI_API_KEY" ${url}`;

describe('as root: airlock run --user', { skip: isRoot ? false : 'needs root' }, () => {
  let f: RunFixture;
  let user: { uid: number; gid: number } | null;
  // TMPDIR for these runs: the run directory is made there, so nobody must reach it.
  let shared: { dir: string; cleanup: () => Promise<void> };
  const env = (): Record<string, string> => f.parentEnv({ TMPDIR: shared.dir });
  const openai = (): string => `https://${OPENAI_HOST}:${f.openai.port}/v1/echo`;

  before(async () => {
    f = await startRunFixture();
    user = await nobody();
    shared = await tempDir('airlock-run-user-tmp-');
    await chmod(shared.dir, 0o1777);
  });

  after(async () => {
    await shared?.cleanup();
    await f?.close();
  });

  test('the agent runs as nobody, reaches the upstream through the proxy, and nothing of Airlock’s', async (t) => {
    if (user === null) return t.skip('no nobody account');
    const { paths } = f.home;
    const probe = [
      'echo "uid=$(id -u)"',
      'echo "gid=$(id -g)"',
      'echo "groups=$(id -G)"',
      'echo "home=$HOME user=$USER logname=$LOGNAME"',
      status('read-config', `cat ${paths.config}`),
      status('read-root-key', `cat ${paths.rootKeyFile}`),
      status('read-store', `cat ${paths.store}`),
      status('list-home', `ls -A ${paths.home}`),
      status(
        'admin-socket',
        `curl -sS --max-time 30 --unix-socket ${paths.socket} http://x/v1/status`,
      ),
      status(
        'server-proxy-socket',
        `curl -sS --max-time 30 --unix-socket ${paths.proxySocket} http://x/`,
      ),
      status(
        'admin-port',
        `curl -sS --max-time 30 --noproxy '*' http://127.0.0.1:${f.server.api.port}/v1/status`,
      ),
      status('kill-server', `kill -ABRT ${process.pid}`),
      status(
        'direct-ip',
        `curl -sS --max-time 30 --noproxy '*' -k https://127.0.0.1:${f.openai.port}/`,
      ),
      // Owners are not shown: root is unmapped in the sandbox's user namespace.
      'echo "run-dir=$(stat -c %a "$(dirname "$SSL_CERT_FILE")")"',
      'echo "ca-file=$(stat -c %a "$SSL_CERT_FILE")"',
      status('read-ca', 'cat "$SSL_CERT_FILE"'),
      status('list-run-dir', 'ls "$(dirname "$SSL_CERT_FILE")"'),
      status('write-run-dir', 'touch "$(dirname "$SSL_CERT_FILE")/planted"'),
      'echo "cap-eff=$(awk \'/^CapEff/ { print $2 }\' /proc/self/status)"',
      proxiedCall(openai()),
    ].join('\n');
    const before = f.openai.requests.length;
    const r = await f.run(['--user', 'nobody'], ['/bin/sh', '-c', probe], env());
    assert.equal(r.code, 0, r.stderr);
    const s = statuses(r.stdout);
    assert.equal(s.get('uid'), String(user.uid), 'the agent has nobody’s uid');
    assert.equal(s.get('gid'), String(user.gid));
    assert.equal(s.get('groups'), String(user.gid), 'and no supplementary group of root’s');
    assert.equal(s.get('home'), '/nonexistent user=nobody logname=nobody');
    for (const name of ['read-config', 'read-root-key', 'read-store']) {
      assert.equal(s.get(name), '1', `${name}: the home's files are out of reach`);
    }
    assert.notEqual(s.get('list-home'), '0', 'the home cannot be listed');
    // curl 7: could not connect, not 28 (timed out).
    assert.equal(s.get('admin-socket'), '7');
    assert.equal(s.get('server-proxy-socket'), '7', 'the server’s own socket is root’s only');
    assert.equal(s.get('admin-port'), '7');
    assert.equal(s.get('kill-server'), '1', 'the server cannot be signalled');
    assert.equal(s.get('direct-ip'), '7', 'a direct connection is refused at once');
    assert.equal(s.get('run-dir'), '711', 'the run directory: searchable only');
    assert.equal(s.get('ca-file'), '400', 'the CA bundle: read-only, for its owner alone');
    assert.equal(s.get('read-ca'), '0', 'the agent reads its CA bundle');
    assert.notEqual(s.get('list-run-dir'), '0', 'but cannot list the run directory');
    assert.notEqual(s.get('write-run-dir'), '0', 'nor put anything in it');
    assert.equal(s.get('cap-eff'), '0000000000000000');
    assert.equal(s.get('proxied'), '200', 'the proxy is reachable through the relay');
    const seen = f.openai.requests.slice(before);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]?.headers.authorization, `Bearer ${OPENAI_SECRET}`);
    const statusAfter = await f.cli(['status']);
    assert.equal(statusAfter.code, 0, statusAfter.stderr);
  });

  test('a long-running agent as nobody keeps reaching the proxy across a server restart', async (t) => {
    if (user === null) return t.skip('no nobody account');
    const { dir, cleanup } = await tempDir('airlock-run-user-');
    await chmod(dir, 0o1777);
    const agent = steppedAgent(
      f.spawnRun(['--user', 'nobody'], steppedCalls(dir, openai(), 2), env()),
      dir,
    );
    const { step } = agent;
    try {
      assert.equal(await step(1), '200');
      await f.restart();
      assert.equal(await step(2), '200', 'the relay reaches the restarted server');
      assert.equal(f.openai.requests.at(-1)?.headers.authorization, `Bearer ${OPENAI_SECRET}`);
      assert.equal(await agent.exited, 0, agent.stderr());
    } finally {
      agent.kill();
      await cleanup();
    }
  });

  const refusals: readonly { name: string; args: readonly string[]; message: RegExp }[] = [
    {
      name: 'an unknown user',
      args: ['--user', 'airlock-no-such-user'],
      message: /no such user/,
    },
    { name: 'an unknown uid', args: ['--user', '4294967290'], message: /no such user/ },
    { name: 'an option as a name', args: ['--user=-x'], message: /a user name or a numeric uid/ },
    { name: 'an empty name', args: ['--user='], message: /a user name or a numeric uid/ },
    { name: 'a path as a name', args: ['--user', '../root'], message: /user name or a numeric/ },
    {
      name: '--user with --no-isolation',
      args: ['--user', 'nobody', '--no-isolation'],
      message: /cannot be combined with --no-isolation/,
    },
  ];
  for (const refusal of refusals) {
    test(`--user refuses ${refusal.name} with ERR_INVALID_ARGUMENT and starts nothing`, async () => {
      const marker = join(shared.dir, `should-not-exist-${refusals.indexOf(refusal)}`);
      const r = await f.run(refusal.args, ['/bin/sh', '-c', `touch ${marker}`], env());
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stderr, /\[ERR_INVALID_ARGUMENT\]/);
      assert.match(r.stderr, refusal.message);
      assert.doesNotMatch(r.stderr, /warning/, 'refused before the --no-isolation warning');
      assert.ok(!existsSync(marker), 'the command never ran');
    });
  }

  test('--user refuses a TMPDIR the user cannot reach, and says which', async (t) => {
    if (user === null) return t.skip('no nobody account');
    // The fixture's TMPDIR is root's own (0700).
    const marker = join(shared.dir, 'should-not-exist-tmpdir');
    const r = await f.run(['--user', 'nobody'], ['/bin/sh', '-c', `touch ${marker}`]);
    assert.equal(r.code, 1, r.stdout);
    assert.match(r.stderr, /\[ERR_INVALID_ARGUMENT\]/);
    assert.match(r.stderr, /--user nobody cannot reach the run's directory .*TMPDIR/);
    assert.ok(!existsSync(marker), 'the command never ran');
  });
});

/** `airlock serve` as a child process (as `user`), with the proxy options the test upstream needs. */
async function serveAs(
  user: { uid: number; gid: number } | undefined,
  home: string,
  upstream: TestUpstream,
  caFile: string,
  cwd: string,
): Promise<{ child: ChildProcess; api: number; stop: () => Promise<void> }> {
  const served = spawnServe(
    home,
    [
      '--allow-private',
      '127.0.0.1/32',
      '--resolve',
      `${OPENAI_HOST}:${upstream.port}:127.0.0.1`,
      '--upstream-ca',
      caFile,
    ],
    { cwd, ...(user === undefined ? {} : { user }) },
  );
  const { api } = await served.listening;
  return {
    child: served.child,
    api,
    async stop() {
      served.child.kill('SIGTERM');
      await served.exited;
    },
  };
}

/**
 * Why isolation cannot be shown as `user` here, or null when it can: the
 * sandbox must build as that user, and Node and the project must be
 * readable by it.
 */
async function unprivilegedSkip(
  user: { uid: number; gid: number } | undefined,
): Promise<string | null> {
  const bwrap = await probeBwrap(
    'bwrap',
    user === undefined ? undefined : { name: 'nobody', home: '/', ...user },
  );
  if (bwrap !== null) return `unprivileged user namespaces are unavailable: ${bwrap}`;
  const readable = await runChild(
    '/bin/sh',
    [
      '-c',
      'test -x "$0" && test -r "$1" && test -r "$2"',
      process.execPath,
      CLI,
      join(CLI, '..', '..', 'run', 'inside.ts'),
    ],
    { cwd: '/', ...(user === undefined ? {} : { user }) },
  );
  if (readable.code !== 0) return 'Node or the project is not readable by an unprivileged user';
  return null;
}

describe('as an unprivileged user: init, serve and an isolated run', () => {
  let skip: string | null = null;
  // As root, the test drops to nobody; otherwise it already is unprivileged.
  let user: { uid: number; gid: number } | undefined;
  let pki: TestPki;
  let upstream: TestUpstream;
  let work: { dir: string; cleanup: () => Promise<void> };

  before(async () => {
    if (isRoot) {
      const found = await nobody();
      if (found === null) {
        skip = 'no nobody account';
        return;
      }
      user = found;
    }
    skip = await unprivilegedSkip(user);
    if (skip !== null) return;
    pki = await createTestPki();
    upstream = await startUpstream({
      tls: pki.upstreamCert(OPENAI_HOST),
      routes: { '/v1/echo': echo },
    });
    work = await tempDir('airlock-unprivileged-');
    if (user !== undefined) await chown(work.dir, user.uid, user.gid);
  });

  after(async () => {
    await upstream?.close();
    await pki?.cleanup();
    await work?.cleanup();
  });

  test('the agent reaches the proxy and nothing of the server’s, which runs as the same user', async (t) => {
    if (skip !== null) return t.skip(skip);
    const as = user === undefined ? {} : { user };
    const home = join(work.dir, 'home');
    const userHome = join(work.dir, 'user');
    const tmp = join(work.dir, 'tmp');
    const caFile = join(work.dir, 'upstream-ca.pem');
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: userHome,
      TMPDIR: tmp,
      LANG: 'C.UTF-8',
      OPENAI_API_KEY: OPENAI_SECRET,
    };
    // `--home` goes before a `--`, after which everything is the agent's command.
    const cli = (args: readonly string[], stdin?: string) => {
      const end = args.includes('--') ? args.indexOf('--') : args.length;
      const argv = [...args.slice(0, end), '--home', home, ...args.slice(end)];
      return runChild(process.execPath, [CLI, ...argv], {
        env,
        cwd: work.dir,
        ...as,
        ...(stdin === undefined ? {} : { input: stdin }),
      });
    };
    const must = async (args: readonly string[], stdin?: string): Promise<void> => {
      const r = await cli(args, stdin);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    };
    // Made by the user itself, so every file is its own.
    const setup = await runChild(
      '/bin/sh',
      ['-c', 'mkdir -m 700 "$0" "$1" && cat > "$2"', userHome, tmp, caFile],
      { cwd: work.dir, input: pki.upstreamCaPem, ...as },
    );
    assert.equal(setup.code, 0, setup.stderr);
    await must(['init']);
    const server = await serveAs(user, home, upstream, caFile, work.dir);
    try {
      await must(['secret', 'set', 'openai'], OPENAI_SECRET);
      await must(['agent', 'add', 'coder']);
      await must([
        'service',
        'add',
        'openai',
        '--host',
        `${OPENAI_HOST}:${upstream.port}`,
        '--secret',
        'openai',
        '--auth',
        'bearer',
        '--env',
        'OPENAI_API_KEY',
      ]);
      await must(['grant', 'coder', 'openai']);
      const serverPid = server.child.pid ?? 0;
      const probe = [
        'echo "uid=$(id -u)"',
        status('read-config', `cat ${home}/config.json`),
        status('read-root-key', `cat ${home}/root.key`),
        `echo "home-entries=$(ls -A ${home} | wc -l)"`,
        status(
          'admin-socket',
          `curl -sS --max-time 30 --unix-socket ${home}/admin.sock http://x/v1/status`,
        ),
        status(
          'admin-port',
          `curl -sS --max-time 30 --noproxy '*' http://127.0.0.1:${server.api}/v1/status`,
        ),
        status('server-environ', `cat /proc/${serverPid}/environ`),
        status('kill-server', `kill -ABRT ${serverPid}`),
        status(
          'direct-ip',
          `curl -sS --max-time 30 --noproxy '*' -k https://127.0.0.1:${upstream.port}/`,
        ),
        proxiedCall(`https://${OPENAI_HOST}:${upstream.port}/v1/echo`),
      ].join('\n');
      const before = upstream.requests.length;
      const r = await cli(['run', '--agent', 'coder', '--', '/bin/sh', '-c', probe]);
      assert.equal(r.code, 0, r.stderr);
      const s = statuses(r.stdout);
      if (user !== undefined) assert.equal(s.get('uid'), String(user.uid));
      for (const name of ['read-config', 'read-root-key']) {
        assert.equal(s.get(name), '1', `${name}: the home's files are not there`);
      }
      assert.equal(s.get('home-entries'), '0', 'the home is an empty directory');
      assert.equal(s.get('admin-socket'), '7');
      assert.equal(s.get('admin-port'), '7');
      assert.equal(s.get('server-environ'), '1', 'the server is not in the sandbox’s /proc');
      assert.equal(s.get('kill-server'), '1', 'the server cannot be signalled');
      assert.equal(s.get('direct-ip'), '7');
      assert.equal(s.get('proxied'), '200', 'the proxy is reachable');
      const seen = upstream.requests.slice(before);
      assert.equal(seen.length, 1);
      assert.equal(seen[0]?.headers.authorization, `Bearer ${OPENAI_SECRET}`);
      // Unprivileged, --user is refused before anything starts.
      const refused = await cli(['run', '--agent', 'coder', '--user', 'nobody', '--', '/bin/true']);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /--user needs root.*\[ERR_INVALID_ARGUMENT\]/);
      assert.equal(server.child.exitCode, null, 'the server is still running');
    } finally {
      await server.stop();
    }
  });
});
