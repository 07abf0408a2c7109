// Secret sources end to end: references of every kind injected through the
// proxy with curl, a provider that fails on reload while the last good value
// keeps being served, degraded status in /healthz and `airlock status`,
// recovery, and ERR_SECRET_UNAVAILABLE for a secret that never resolved.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { systemClock } from '../../src/core/index.ts';
import { type RunningServer, startServer } from '../../src/server.ts';
import { SOURCE_CHANNELS } from '../../src/vault/index.ts';
import { initTestHome, runCli, type TestHome, tempDir } from '../helpers/airlock.ts';
import { runChild } from '../helpers/child.ts';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';

const EXAMPLE = join(
  import.meta.dirname,
  '..',
  '..',
  'examples',
  'providers',
  'json-file-provider.mjs',
);
const VALUES = {
  env: 'ghp_from_env_0123456789',
  file: 'sk_file_value_0123456789',
  exec1: 'xoxb-exec-first-0123456789',
  exec2: 'xoxb-exec-second-0123456789',
  dotenvx: 'sk-ant-dotenvx-0123456789',
  stderr: 'STDERR_SECRET_MUST_NOT_BE_LOGGED',
};
let home: TestHome;
let pki: TestPki;
let upstream: TestUpstream;
let server: RunningServer;
let sources: { dir: string; cleanup: () => Promise<void> };
let agentKey: string;
let caFile: string;
let providerStore: string;
const events: string[] = [];
const onDegraded = () => events.push('degraded');
const onRecovered = () => events.push('recovered');

async function cli(args: string[], expect = 0): Promise<string> {
  const r = await runCli([...args, '--home', home.paths.home]);
  assert.equal(r.code, expect, `${args.join(' ')}: ${r.stderr}`);
  for (const v of Object.values(VALUES))
    assert.ok(!(r.stdout + r.stderr).includes(v), 'never seen');
  return r.stdout;
}

async function curl(path: string): Promise<{ status: string; body: string }> {
  const r = await runChild('curl', [
    '-sS',
    '--proxy',
    `http://127.0.0.1:${server.proxy.port}`,
    '--proxy-user',
    `bot:${agentKey}`,
    '--cacert',
    caFile,
    '-w',
    '\n%{http_code}',
    `https://api.test.local:${upstream.port}${path}`,
  ]);
  const lines = r.stdout.split('\n');
  return { status: lines.at(-1) ?? '', body: lines.slice(0, -1).join('\n') };
}

function injected(): string | undefined {
  return upstream.requests.at(-1)?.headers.authorization;
}

async function healthz(): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${server.api.port}/healthz`);
  assert.equal(res.status, 200);
  return (await res.json()) as Record<string, unknown>;
}

before(async () => {
  subscribe(SOURCE_CHANNELS.degraded, onDegraded);
  subscribe(SOURCE_CHANNELS.recovered, onRecovered);
  home = await initTestHome();
  pki = await createTestPki();
  sources = await tempDir('airlock-sources-');
  upstream = await startUpstream({ tls: pki.upstreamCert('api.test.local') });
  const secretFile = join(sources.dir, 'file-secret');
  await writeFile(secretFile, `${VALUES.file}\n`, { mode: 0o600 });
  providerStore = join(sources.dir, 'provider-store.json');
  await writeFile(providerStore, JSON.stringify({ tok: VALUES.exec1 }), { mode: 0o600 });
  // A provider that prints a secret on stderr and then runs the example provider.
  const provider = join(sources.dir, 'noisy-provider.mjs');
  await writeFile(
    provider,
    `process.stderr.write(${JSON.stringify(VALUES.stderr)});\nawait import(${JSON.stringify(EXAMPLE)});\n`,
  );
  const dotenvDir = join(sources.dir, 'app');
  await mkdir(dotenvDir);
  const dotenvFile = join(dotenvDir, '.env.production');
  await writeFile(dotenvFile, `ANTHROPIC_API_KEY="${VALUES.dotenvx}"\n`);
  const dx = join(
    import.meta.dirname,
    '..',
    '..',
    'node_modules',
    '@dotenvx',
    'dotenvx',
    'src',
    'cli',
    'dotenvx.js',
  );
  const enc = await runChild(process.execPath, [dx, 'encrypt', '-f', dotenvFile], {
    cwd: dotenvDir,
    env: { HOME: dotenvDir },
  });
  assert.equal(enc.code, 0, enc.stderr);
  assert.ok(!(await readFile(dotenvFile, 'utf8')).includes(VALUES.dotenvx));

  server = await startServer({
    paths: home.paths,
    clock: systemClock,
    version: 'test',
    api: '127.0.0.1:0',
    proxy: '127.0.0.1:0',
    env: { GH_TOKEN: VALUES.env },
    proxyOptions: {
      allowPrivate: ['127.0.0.1/32'],
      resolve: [{ host: 'api.test.local', port: upstream.port, address: '127.0.0.1' }],
      upstreamCa: [pki.upstreamCaPem],
    },
  });
  agentKey = (await cli(['agent', 'add', 'bot'])).trim();
  await cli([
    'provider',
    'set',
    'vault',
    '--command',
    process.execPath,
    '--arg',
    provider,
    '--arg',
    providerStore,
    '--timeout-ms',
    '5000',
  ]);
  const refs: [string, string][] = [
    ['gh', 'env:GH_TOKEN'],
    ['filetok', `file:${secretFile}`],
    ['exectok', 'exec:vault#tok'],
    ['dxtok', `dotenvx:${dotenvFile}#ANTHROPIC_API_KEY`],
    ['never', 'exec:vault#missing'],
  ];
  for (const [name, ref] of refs) {
    await cli(['secret', 'ref', name, ref]);
    await cli([
      'service',
      'add',
      name,
      '--host',
      `api.test.local:${upstream.port}`,
      '--secret',
      name,
      '--auth',
      'bearer',
      '--path',
      `/${name}/**`,
    ]);
    await cli(['grant', 'bot', name]);
  }
  caFile = join(pki.dir, 'exported-ca.pem');
  await writeFile(caFile, await cli(['ca', 'export']));
});

after(async () => {
  unsubscribe(SOURCE_CHANNELS.degraded, onDegraded);
  unsubscribe(SOURCE_CHANNELS.recovered, onRecovered);
  await server?.close();
  await upstream?.close();
  await pki?.cleanup();
  await sources?.cleanup();
  await home?.cleanup();
});

test('env, file, exec and dotenvx references are injected through the proxy', async () => {
  const cases: [string, string][] = [
    ['/gh/x', VALUES.env],
    ['/filetok/x', VALUES.file],
    ['/exectok/x', VALUES.exec1],
    ['/dxtok/x', VALUES.dotenvx],
  ];
  for (const [path, value] of cases) {
    const r = await curl(path);
    assert.equal(r.status, '200', `${path}: ${r.body}`);
    assert.equal(injected(), `Bearer ${value}`, path);
    assert.ok(!r.body.includes(value));
  }
});

test('a secret that never resolved fails closed with ERR_SECRET_UNAVAILABLE and is never forwarded', async () => {
  const before = upstream.requests.length;
  const r = await curl('/never/x');
  assert.equal(r.status, '503');
  assert.match(r.body, /ERR_SECRET_UNAVAILABLE/);
  assert.equal(upstream.requests.length, before);
});

test('secret list shows each source kind and status, never a value', async () => {
  const rows = JSON.parse(await cli(['secret', 'list', '--json'])) as {
    name: string;
    source: string;
    status: string;
    code: string | null;
  }[];
  const by = new Map(rows.map((r) => [r.name, r]));
  assert.equal(by.get('gh')?.source, 'env');
  assert.equal(by.get('filetok')?.source, 'file');
  assert.equal(by.get('exectok')?.source, 'exec');
  assert.equal(by.get('dxtok')?.source, 'dotenvx');
  assert.equal(by.get('exectok')?.status, 'ok');
  assert.deepEqual(
    [by.get('never')?.status, by.get('never')?.code],
    ['unavailable', 'ERR_PROVIDER_NOT_FOUND'],
  );
  const table = await cli(['secret', 'list']);
  assert.match(table, /never\s+exec\s+unavailable \(ERR_PROVIDER_NOT_FOUND\)/);
});

test('reload with a failing provider keeps serving the last good value; degraded, then recovery, are reported', async () => {
  // Setup already entered degradation once (`never` has no value), so this failure announces nothing new.
  assert.deepEqual(events, ['degraded']);
  await writeFile(providerStore, '{ not json');
  const reload = await cli(['reload'], 1);
  assert.match(reload, /degraded/);
  assert.match(reload, /exectok: ERR_PROVIDER_FAILED .*serving last good value/);

  const r = await curl('/exectok/x');
  assert.equal(r.status, '200', r.body);
  assert.equal(injected(), `Bearer ${VALUES.exec1}`, 'last-known-good value');

  const health = await healthz();
  assert.equal(health.status, 'degraded');
  assert.deepEqual(
    (health.secrets as { name: string; state: string; code: string }[]).filter(
      (s) => s.name === 'exectok',
    ),
    [{ name: 'exectok', state: 'stale', code: 'ERR_PROVIDER_FAILED' }],
  );
  const status = await cli(['status']);
  assert.match(status, /sources\s+degraded/);
  assert.match(status, /exectok: ERR_PROVIDER_FAILED/);
  assert.ok(!JSON.stringify(health).includes(VALUES.stderr) && !status.includes(VALUES.stderr));

  await writeFile(
    providerStore,
    JSON.stringify({ tok: VALUES.exec2, missing: 'now-present-value' }),
  );
  const recovered = JSON.parse(await cli(['reload', '--json'])) as { state: string };
  assert.equal(recovered.state, 'ok');
  assert.equal((await healthz()).status, 'ok');
  assert.equal((await curl('/exectok/x')).status, '200');
  assert.equal(injected(), `Bearer ${VALUES.exec2}`);
  assert.equal((await curl('/never/x')).status, '200', 'a secret that resolves later is served');
  assert.deepEqual(events, ['degraded', 'recovered']);
});

test('insecure-file-modes: a file loosened to 0644 fails closed on reload, keeping only the last good value', async () => {
  const file = join(sources.dir, 'file-secret');
  await chmod(file, 0o644);
  const reload = await cli(['reload'], 1);
  assert.match(reload, /filetok: ERR_INSECURE_FILE/);
  assert.equal((await curl('/filetok/x')).status, '200');
  assert.equal(injected(), `Bearer ${VALUES.file}`);
  await chmod(file, 0o600);
  await cli(['reload']);
});

test('only the owner may declare an exec provider', async () => {
  const key =
    (await cli(['apikey', 'create', 'ops', '--role', 'admin'])).trim().split(/\s+/).at(-1) ?? '';
  const res = await fetch(`http://127.0.0.1:${server.api.port}/v1/providers/evil`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ command: '/bin/sh', args: ['-c', 'id'] }),
  });
  assert.equal(res.status, 403);
  assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'ERR_FORBIDDEN');
});

test('never seen: no resolved value is written into the home (no backups, no caches on disk)', async () => {
  const { readdir, stat } = await import('node:fs/promises');
  // Every file, in subdirectories too (the proxy socket has its own); sockets hold no bytes.
  for (const name of await readdir(home.paths.home, { recursive: true })) {
    if (!(await stat(join(home.paths.home, name))).isFile()) continue;
    const bytes = await readFile(join(home.paths.home, name));
    for (const v of Object.values(VALUES)) assert.ok(!bytes.includes(v), `${v} in ${name}`);
  }
});
