// Delegation end to end: a user starts a task for an orchestrator, which
// hands a narrower token to a worker, which hands a narrower one still to a
// sub-worker, each through `http://airlock.internal/oauth/token` with real
// curl calls through the proxy. Revoking the middle link stops the two below
// and not the top, in already-open keep-alive tunnels too.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import type { RunningServer } from '../../src/server.ts';
import { initTestHome, runCli, serveTestHome, type TestHome } from '../helpers/airlock.ts';
import { runChild } from '../helpers/child.ts';
import { createTestPki, type TestPki } from '../helpers/pki.ts';
import { openTunnel, ResponseReader, roundTrip } from '../helpers/tunnel-client.ts';
import { startUpstream, type TestUpstream } from '../helpers/upstream.ts';

const SECRET = 'ghp_chain_test_value_9876543210';
const EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JWT = 'urn:ietf:params:oauth:token-type:jwt';
const HOST = 'api.test.local';

let home: TestHome;
let pki: TestPki;
let upstream: TestUpstream;
let server: RunningServer;
let caFile: string;
let caPem: string;
const tokens: Record<'orchestrator' | 'worker' | 'subworker', string> = {
  orchestrator: '',
  worker: '',
  subworker: '',
};

async function cli(args: string[], stdin?: string): Promise<string> {
  const r = await runCli(
    [...args, '--home', home.paths.home],
    stdin === undefined ? {} : { stdin },
  );
  assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

interface CurlResult {
  status: string;
  body: string;
}

/** curl through the proxy with `token` as the proxy password; the last line is the status. */
async function curl(token: string, url: string, extra: string[] = []): Promise<CurlResult> {
  const r = await runChild('curl', [
    '-sS',
    '--proxy',
    `http://127.0.0.1:${server.proxy.port}`,
    '--proxy-user',
    `agent:${token}`,
    '--cacert',
    caFile,
    '-w',
    '\n%{http_code}',
    ...extra,
    url,
  ]);
  const lines = r.stdout.split('\n');
  return { status: lines.at(-1) ?? '', body: lines.slice(0, -1).join('\n') };
}

const api = (token: string, method: string, path: string) =>
  curl(token, `https://${HOST}:${upstream.port}${path}`, ['-X', method]);

/** RFC 8693 exchange at `http://airlock.internal/oauth/token`, authenticated by `token` itself. */
async function exchange(token: string, fields: Record<string, string>): Promise<CurlResult> {
  const form = [
    `grant_type=${EXCHANGE}`,
    `subject_token=${token}`,
    `subject_token_type=${JWT}`,
    ...Object.entries(fields).map(([k, v]) => `${k}=${v}`),
  ];
  return curl(
    token,
    'http://airlock.internal/oauth/token',
    form.flatMap((f) => ['--data-urlencode', f]),
  );
}

function jtiOf(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
  return (payload as { jti: string }).jti;
}

before(async () => {
  home = await initTestHome();
  pki = await createTestPki();
  upstream = await startUpstream({ tls: pki.upstreamCert(HOST) });
  server = await serveTestHome(home.paths, undefined, {
    allowPrivate: ['127.0.0.1/32'],
    resolve: [{ host: HOST, port: upstream.port, address: '127.0.0.1' }],
    upstreamCa: [pki.upstreamCaPem],
  });
  await cli(['secret', 'set', 'github'], SECRET);
  await cli([
    'service',
    'add',
    'github',
    '--host',
    `${HOST}:${upstream.port}`,
    '--secret',
    'github',
    '--auth',
    'bearer',
  ]);
  for (const agent of ['orchestrator', 'worker', 'subworker']) {
    await cli(['agent', 'add', agent]);
    await cli(['grant', agent, 'github']);
  }
  caFile = join(pki.dir, 'exported-ca.pem');
  await writeFile(caFile, await cli(['ca', 'export']));
  caPem = await readFile(caFile, 'utf8');
});

after(async () => {
  await server?.close();
  await upstream?.close();
  await pki?.cleanup();
  await home?.cleanup();
});

describe('user → orchestrator → worker → sub-worker', () => {
  test('the user starts the task for the orchestrator', async () => {
    tokens.orchestrator = (
      await cli([
        'task',
        'start',
        '--agent',
        'orchestrator',
        '--scope',
        'github:GET,POST:/repos/acme/**',
        '--on-behalf-of',
        'alice',
        '--ttl',
        '30m',
      ])
    ).trim();
    const seen = upstream.requests.length;
    const ok = await api(tokens.orchestrator, 'POST', '/repos/acme/app/issues');
    assert.equal(ok.status, '200', ok.body);
    assert.equal(upstream.requests.at(-1)?.headers.authorization, `Bearer ${SECRET}`);
    const outside = await api(tokens.orchestrator, 'GET', '/repos/other/app');
    assert.equal(outside.status, '403');
    assert.match(outside.body, /ERR_SCOPE_DENIED/);
    assert.equal(upstream.requests.length, seen + 1, 'the refused request never left');
  });

  test('the orchestrator delegates GET on acme to the worker', async () => {
    const wider = await exchange(tokens.orchestrator, { scope: 'github', actor: 'worker' });
    assert.equal(wider.status, '400');
    const err = JSON.parse(wider.body) as Record<string, unknown>;
    assert.equal(err.error, 'invalid_scope');
    assert.equal(err.code, 'ERR_SCOPE_EXCEEDS_PARENT');

    const res = await exchange(tokens.orchestrator, {
      scope: 'github:GET:/repos/acme/**',
      actor: 'worker',
      expires_in: '7200',
    });
    assert.equal(res.status, '200', res.body);
    const body = JSON.parse(res.body) as Record<string, unknown>;
    assert.equal(body.issued_token_type, JWT);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.scope, 'github:GET:/repos/acme/**');
    assert.ok((body.expires_in as number) <= 30 * 60, 'never later than the parent');
    tokens.worker = body.access_token as string;
    assert.equal((await api(tokens.worker, 'GET', '/repos/acme/app')).status, '200');
    const post = await api(tokens.worker, 'POST', '/repos/acme/app');
    assert.equal(post.status, '403');
    assert.match(post.body, /ERR_SCOPE_DENIED/);
  });

  test('a worker cannot exchange a token it does not hold', async () => {
    const stolen = await curl(tokens.worker, 'http://airlock.internal/oauth/token', [
      '--data-urlencode',
      `grant_type=${EXCHANGE}`,
      '--data-urlencode',
      `subject_token=${tokens.orchestrator}`,
      '--data-urlencode',
      `subject_token_type=${JWT}`,
    ]);
    assert.equal(stolen.status, '400');
    assert.equal((JSON.parse(stolen.body) as { error: string }).error, 'invalid_grant');
  });

  test('the worker delegates one repository’s issues to the sub-worker', async () => {
    const res = await exchange(tokens.worker, {
      scope: 'github:GET:/repos/acme/app/issues/**',
      actor: 'subworker',
    });
    assert.equal(res.status, '200', res.body);
    tokens.subworker = (JSON.parse(res.body) as { access_token: string }).access_token;
    assert.equal((await api(tokens.subworker, 'GET', '/repos/acme/app/issues/7')).status, '200');
    assert.equal((await api(tokens.subworker, 'GET', '/repos/acme/app')).status, '403');
    assert.equal((await api(tokens.subworker, 'POST', '/repos/acme/app/issues')).status, '403');
  });

  test('whoami names the chain down from the user; services lists only what the token allows', async () => {
    const who = await curl(tokens.subworker, 'http://airlock.internal/v1/whoami');
    assert.equal(who.status, '200', who.body);
    const me = JSON.parse(who.body) as Record<string, unknown>;
    assert.equal(me.agent, 'subworker');
    assert.equal(me.scope, 'github:GET:/repos/acme/app/issues/**');
    assert.deepEqual(
      (me.chain as { sub: string; agent?: string }[]).map((c) => c.agent ?? c.sub),
      ['worker', 'orchestrator', 'user:alice'],
    );
    const svc = await curl(tokens.worker, 'http://airlock.internal/v1/services');
    const { services } = JSON.parse(svc.body) as { services: Record<string, unknown>[] };
    assert.equal(services.length, 1);
    assert.deepEqual(services[0]?.methods, ['GET']);
    assert.deepEqual(services[0]?.hosts, [`${HOST}:${upstream.port}`]);
    assert.ok(!svc.body.includes(SECRET) && !who.body.includes(SECRET));
    const jwks = await curl(tokens.worker, 'http://airlock.internal/.well-known/jwks.json');
    assert.equal((JSON.parse(jwks.body) as { keys: unknown[] }).keys.length, 1);
  });

  test('the audit trail names the whole chain on the sub-worker’s proxy events, allowed and refused', async () => {
    const jti = jtiOf(tokens.subworker);
    const agents = JSON.parse(await cli(['agent', 'list', '--json'])) as {
      id: string;
      name: string;
    }[];
    const id = (name: string) => agents.find((a) => a.name === name)?.id;
    const records = JSON.parse(await cli(['audit', 'query', '--agent', 'subworker', '--json'])) as {
      event: {
        kind: string;
        actor: { tokenId: string | null; taskId: string | null };
        chain: { id: string }[];
      };
    }[];
    const proxyEvents = records
      .map((r) => r.event)
      .filter((e) => e.kind === 'proxy.request' || e.kind === 'proxy.denied');
    assert.ok(
      proxyEvents.some((e) => e.kind === 'proxy.request'),
      'an allowed request is on record',
    );
    assert.ok(
      proxyEvents.some((e) => e.kind === 'proxy.denied'),
      'a refused request is on record',
    );
    for (const e of proxyEvents) {
      assert.equal(e.actor.tokenId, jti);
      assert.ok(e.actor.taskId !== null);
      assert.deepEqual(
        e.chain.map((l) => l.id),
        ['user:alice', id('orchestrator'), id('worker'), id('subworker')],
      );
    }
  });

  test('revoking the middle link stops the two below, not the top, in open tunnels too', async () => {
    // One keep-alive tunnel per level, each proven working before the revocation.
    const open: { tls: TLSSocket; reader: ResponseReader; path: string }[] = [];
    for (const [who, path] of [
      ['orchestrator', '/repos/acme/a'],
      ['worker', '/repos/acme/b'],
      ['subworker', '/repos/acme/app/issues/1'],
    ] as const) {
      const tls = await openTunnel(server.proxy.port, HOST, upstream.port, {
        key: tokens[who],
        ca: caPem,
      });
      const reader = new ResponseReader(tls);
      const req = `GET ${path} HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n\r\n`;
      assert.equal((await roundTrip(tls, reader, req)).status, 200);
      open.push({ tls, reader, path });
    }
    try {
      const out = await cli(['revoke', '--token', jtiOf(tokens.worker)]);
      assert.equal(out, 'revoked 2 token(s)\n');
      const statuses = [];
      for (const t of open) {
        const req = `GET ${t.path} HTTP/1.1\r\nHost: ${HOST}:${upstream.port}\r\n\r\n`;
        const res = await roundTrip(t.tls, t.reader, req);
        statuses.push([res.status, res.headers['x-airlock-error'] ?? null]);
      }
      assert.deepEqual(statuses, [
        [200, null],
        [401, 'ERR_TOKEN_REVOKED'],
        [401, 'ERR_TOKEN_REVOKED'],
      ]);
    } finally {
      for (const t of open) t.tls.destroy();
    }
    assert.equal((await api(tokens.orchestrator, 'GET', '/repos/acme/x')).status, '200');
    const worker = await api(tokens.worker, 'GET', '/repos/acme/x');
    assert.notEqual(worker.status, '200');
    const again = await exchange(tokens.subworker, {
      scope: 'github:GET:/repos/acme/app/issues/1',
    });
    assert.equal(again.status, '401', again.body);
  });
});
