// The whole product as a user drives it: `airlock` CLI commands against a
// running server, and curl through the proxy to a local HTTPS upstream.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { RunningServer } from '../../src/server.ts';
import { initTestHome, runCli, serveTestHome, type TestHome } from '../helpers/airlock.ts';
import { runChild } from '../helpers/child.ts';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';

const SECRET = 'ghp_product_test_value_0123456789';
let home: TestHome;
let pki: TestPki;
let upstream: TestUpstream;
let server: RunningServer;
let agentKey: string;
let caFile: string;

async function cli(args: string[], stdin?: string): Promise<string> {
  const r = await runCli(
    [...args, '--home', home.paths.home],
    stdin === undefined ? {} : { stdin },
  );
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function curl(
  path: string,
  extra: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runChild('curl', [
    '-sS',
    '--proxy',
    `http://127.0.0.1:${server.proxy.port}`,
    '--proxy-user',
    `bot:${agentKey}`,
    '--cacert',
    caFile,
    '-w',
    '\n%{http_code}',
    ...extra,
    `https://api.test.local:${upstream.port}${path}`,
  ]);
}

before(async () => {
  home = await initTestHome();
  pki = await createTestPki();
  upstream = await startUpstream({ tls: pki.upstreamCert('api.test.local') });
  server = await serveTestHome(home.paths, undefined, {
    allowPrivate: ['127.0.0.1/32'],
    resolve: [{ host: 'api.test.local', port: upstream.port, address: '127.0.0.1' }],
    upstreamCa: [pki.upstreamCaPem],
  });
  await cli(['secret', 'set', 'github'], SECRET);
  agentKey = (await cli(['agent', 'add', 'bot'])).trim();
  assert.match(agentKey, /^alk_agent_/);
  await cli([
    'service',
    'add',
    'github',
    '--host',
    `api.test.local:${upstream.port}`,
    '--secret',
    'github',
    '--auth',
    'bearer',
    '--path',
    '/repos/**',
    '--method',
    'GET',
    '--method',
    'POST',
  ]);
  await cli(['grant', 'bot', 'github', '--method', 'GET']);
  caFile = join(pki.dir, 'exported-ca.pem');
  await writeFile(caFile, await cli(['ca', 'export']));
});

after(async () => {
  await server?.close();
  await upstream?.close();
  await pki?.cleanup();
  await home?.cleanup();
});

test('curl through the proxy reaches the service with the credential injected, trusting only the exported CA', async () => {
  const r = await curl('/repos/acme/widgets', ['-H', 'Authorization: Bearer stolen']);
  assert.equal(r.stdout.split('\n').at(-1), '200', r.stderr);
  const seen = upstream.requests.at(-1);
  assert.equal(seen?.url, '/repos/acme/widgets');
  assert.equal(seen?.headers.authorization, `Bearer ${SECRET}`);
  assert.ok(
    !JSON.stringify(upstream.requests).includes('stolen'),
    'the agent’s own credential never reached upstream',
  );
  assert.ok(!r.stdout.includes(SECRET));
});

test('a path or method outside the grant is refused with ERR_SCOPE_DENIED and never forwarded', async () => {
  const before = upstream.requests.length;
  const path = await curl('/admin/users');
  assert.equal(path.stdout.split('\n').at(-1), '403');
  assert.match(path.stdout, /ERR_SCOPE_DENIED/);
  const method = await curl('/repos/acme/widgets', ['-X', 'POST', '-d', '{}']);
  assert.equal(method.stdout.split('\n').at(-1), '403');
  assert.match(method.stdout, /ERR_SCOPE_DENIED/);
  assert.equal(upstream.requests.length, before);
});

test('the audit record of an injection names the secret and its version, never its value', async () => {
  const version = async () => {
    const records = JSON.parse(await cli(['audit', 'query', '--agent', 'bot', '--json'])) as {
      event: { kind: string; secret: { name: string; version: number | null } | null };
    }[];
    return records.map((r) => r.event).find((e) => e.kind === 'proxy.request')?.secret;
  };
  assert.deepEqual(await version(), { name: 'github', version: 1 });
  await cli(['secret', 'rotate', 'github'], `${SECRET}-2`);
  const r = await curl('/repos/acme/widgets');
  assert.equal(r.stdout.split('\n').at(-1), '200', r.stderr);
  assert.equal(upstream.requests.at(-1)?.headers.authorization, `Bearer ${SECRET}-2`);
  assert.deepEqual(await version(), { name: 'github', version: 2 });
  assert.ok(!(await cli(['audit', 'export', '--format', 'jsonl'])).includes(SECRET));
});

test('status reports both listeners', async () => {
  const status = JSON.parse(await cli(['status', '--json'])) as Record<string, string>;
  assert.equal(status.proxy, `127.0.0.1:${server.proxy.port}`);
});

test('revoking the agent with the CLI stops its next request', async () => {
  const before = upstream.requests.length;
  await cli(['agent', 'revoke', 'bot']);
  const r = await curl('/repos/acme/widgets');
  assert.notEqual(r.stdout.split('\n').at(-1), '200');
  assert.equal(upstream.requests.length, before);
});
