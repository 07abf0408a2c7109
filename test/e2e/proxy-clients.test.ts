/**
 * Real clients through the proxy: curl, Node fetch (NODE_USE_ENV_PROXY),
 * Python urllib and git (clone and push over smart HTTP). In every case the
 * upstream sees the injected credential and never the one the agent sent.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runChild } from '../helpers/child.ts';
import { type GitServer, startGitServer } from '../helpers/git-server.ts';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import { type ProxyHarness, startProxy, testBinding } from '../helpers/proxy.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';

const KEY = 'alk_agent_clients_test_key';
const SECRET = 'sk-live-injected-value-7f3a';
const GIT_TOKEN = 'git-push-token-91bd';

let pki: TestPki;
let upstream: TestUpstream;
let git: GitServer;
let proxy: ProxyHarness;
let gitRoot: string;

async function git_(args: readonly string[], cwd: string): Promise<string> {
  const r = await runChild('git', args, {
    cwd,
    env: {
      HOME: pki.dir,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      GIT_AUTHOR_NAME: 'Test',
      GIT_AUTHOR_EMAIL: 'test@example.invalid',
      GIT_COMMITTER_NAME: 'Test',
      GIT_COMMITTER_EMAIL: 'test@example.invalid',
    },
  });
  assert.equal(r.code, 0, `git ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

before(async () => {
  pki = await createTestPki();
  upstream = await startUpstream({ tls: pki.upstreamCert('api.test.local') });
  await writeFile(join(pki.dir, 'upstream-ca.pem'), pki.upstreamCaPem);
  gitRoot = join(pki.dir, 'git-root');
  await mkdir(gitRoot);
  git = await startGitServer({
    tls: pki.upstreamCert('git.test.local'),
    root: gitRoot,
    user: 'git',
    password: GIT_TOKEN,
  });
  proxy = await startProxy({
    pki,
    agents: {
      [KEY]: [
        testBinding({
          service: 'api',
          secret: 'api-key',
          host: 'api.test.local',
          port: upstream.port,
        }),
        testBinding({
          service: 'git',
          secret: 'git-token',
          host: 'git.test.local',
          port: git.port,
          auth: { kind: 'basic', username: 'git' },
        }),
      ],
    },
    secrets: { 'api-key': SECRET, 'git-token': GIT_TOKEN },
    options: {
      resolve: [
        { host: 'api.test.local', port: upstream.port, address: '127.0.0.1' },
        { host: 'git.test.local', port: git.port, address: '127.0.0.1' },
      ],
      allowPrivate: ['127.0.0.1/32'],
    },
  });
});

after(async () => {
  await proxy.close();
  await upstream.close();
  await git.close();
  await pki.cleanup();
});

function lastRequest(path: string) {
  const found = upstream.requests.filter((r) => r.url === path);
  assert.equal(found.length, 1, `upstream saw ${path} once`);
  const [r] = found;
  assert.ok(r);
  return r;
}

test('curl: the upstream sees the injected Bearer credential, never the agent-supplied one', async () => {
  const r = await runChild('curl', [
    '-sS',
    '--fail-with-body',
    '--proxy',
    proxy.proxyUrl(KEY),
    '--cacert',
    pki.airlockCaPath,
    '-H',
    'Authorization: Bearer stolen',
    `https://api.test.local:${upstream.port}/v1/curl?x=1`,
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).ok, true);
  const seen = lastRequest('/v1/curl?x=1');
  assert.equal(seen.headers.authorization, `Bearer ${SECRET}`);
  assert.ok(!seen.rawHeaders.includes('Bearer stolen'));
  assert.equal(seen.headers['proxy-authorization'], undefined);
  assert.ok(!r.stdout.includes(SECRET));
});

test('Node fetch with HTTPS_PROXY and NODE_USE_ENV_PROXY=1 gets the credential injected', async () => {
  const url = `https://api.test.local:${upstream.port}/v1/node-fetch`;
  const script = `const r = await fetch(${JSON.stringify(url)}, { headers: { authorization: 'Bearer stolen' } });
console.log(JSON.stringify({ status: r.status, body: await r.json() }));`;
  const r = await runChild(process.execPath, ['--input-type=module', '-e', script], {
    env: {
      HTTPS_PROXY: proxy.proxyUrl(KEY),
      NODE_USE_ENV_PROXY: '1',
      NODE_EXTRA_CA_CERTS: pki.airlockCaPath,
    },
  });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.status, 200);
  assert.equal(lastRequest('/v1/node-fetch').headers.authorization, `Bearer ${SECRET}`);
});

test('Python urllib through HTTPS_PROXY gets the credential injected', async () => {
  const url = `https://api.test.local:${upstream.port}/v1/python`;
  const script = [
    'import os, ssl, urllib.request',
    "ctx = ssl.create_default_context(cafile=os.environ['AIRLOCK_CA'])",
    'opener = urllib.request.build_opener(urllib.request.ProxyHandler(), urllib.request.HTTPSHandler(context=ctx))',
    `req = urllib.request.Request(${JSON.stringify(url)}, headers={'Authorization': 'Bearer stolen'})`,
    'r = opener.open(req, timeout=30)',
    'print(r.status)',
  ].join('\n');
  const r = await runChild('python3', ['-c', script], {
    env: { HTTPS_PROXY: proxy.proxyUrl(KEY), AIRLOCK_CA: pki.airlockCaPath },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '200');
  assert.equal(lastRequest('/v1/python').headers.authorization, `Bearer ${SECRET}`);
});

test('git clone and git push over smart HTTP are authorised by the injected Basic credential', async () => {
  // A bare repository with one commit, served by git http-backend.
  const bare = join(gitRoot, 'repo.git');
  await git_(['init', '--bare', '--initial-branch=main', bare], gitRoot);
  await git_(['config', 'http.receivepack', 'true'], bare);
  const seed = join(pki.dir, 'seed');
  await git_(['init', '--initial-branch=main', seed], pki.dir);
  await writeFile(join(seed, 'README'), 'hello\n');
  await git_(['add', 'README'], seed);
  await git_(['commit', '-m', 'seed'], seed);
  await git_(['push', bare, 'main'], seed);

  const via = [
    '-c',
    `http.proxy=${proxy.proxyUrl(KEY)}`,
    '-c',
    `http.sslCAInfo=${pki.airlockCaPath}`,
    '-c',
    'credential.helper=',
  ];
  const remote = `https://git.test.local:${git.port}/repo.git`;
  const clone = join(pki.dir, 'clone');
  await git_([...via, 'clone', remote, clone], pki.dir);
  await writeFile(join(clone, 'CHANGE'), 'pushed through airlock\n');
  await git_(['add', 'CHANGE'], clone);
  await git_(['commit', '-m', 'change'], clone);
  await git_([...via, 'push', 'origin', 'main'], clone);

  const viaProxy = [...git.authorizations];
  // Without the injected credential the server refuses: git's success came from Airlock.
  const direct = await runChild('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code}',
    '--cacert',
    join(pki.dir, 'upstream-ca.pem'),
    '--resolve',
    `git.test.local:${git.port}:127.0.0.1`,
    `https://git.test.local:${git.port}/repo.git/info/refs?service=git-upload-pack`,
  ]);
  assert.equal(direct.stdout, '401');

  const head = (await git_(['rev-parse', 'main'], bare)).trim();
  const local = (await git_(['rev-parse', 'HEAD'], clone)).trim();
  assert.equal(head, local, 'the push reached the bare repository');
  const expected = `Basic ${Buffer.from(`git:${GIT_TOKEN}`).toString('base64')}`;
  assert.ok(viaProxy.length >= 4);
  for (const a of viaProxy) assert.equal(a, expected);
});
