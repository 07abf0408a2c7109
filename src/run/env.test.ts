import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAirlockError } from '../core/index.ts';
import {
  buildAgentEnv,
  CA_VARIABLES,
  looksLikeCredential,
  PROXY_VARIABLES,
  tokenFromEnv,
} from './env.ts';
import { formatEnv, parseEnvFormat } from './format.ts';
import { launch } from './launch.ts';
import { caBundle, createRunDir } from './run-dir.ts';

const PH = `alk_ph_${'a'.repeat(32)}`;
const TOKEN = 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln';

const parent = {
  PATH: '/usr/bin:/bin',
  HOME: '/home/me',
  LANG: 'en_US.UTF-8',
  LC_ALL: 'C',
  TERM: 'xterm',
  OPENAI_API_KEY: 'sk-real-parent-key',
  AWS_SECRET_ACCESS_KEY: 'aws-real',
  EDITOR: 'vi',
  NODE_OPTIONS: '--require /tmp/evil.js',
};

function build(pass: readonly string[] = [], inherit = true) {
  return buildAgentEnv({
    parent,
    pass,
    placeholders: [{ env: 'OPENAI_API_KEY', placeholder: PH }],
    proxy: { host: '127.0.0.1', port: 4780 },
    token: TOKEN,
    caFile: '/tmp/run/ca-bundle.pem',
    inherit,
  });
}

describe('the agent environment', () => {
  it('is built from scratch: the allowlist, the placeholders, the proxy and the CA', () => {
    const env = build();
    assert.equal(env.PATH, parent.PATH);
    assert.equal(env.HOME, parent.HOME);
    assert.equal(env.LC_ALL, 'C');
    assert.equal(env.OPENAI_API_KEY, PH);
    assert.equal(env.AWS_SECRET_ACCESS_KEY, undefined);
    assert.equal(env.EDITOR, undefined);
    assert.equal(env.NODE_OPTIONS, undefined);
    for (const v of PROXY_VARIABLES) {
      assert.equal(env[v], `http://agent:${TOKEN}@127.0.0.1:4780`);
    }
    for (const v of CA_VARIABLES) assert.equal(env[v], '/tmp/run/ca-bundle.pem');
    assert.equal(env.NO_PROXY, 'localhost,127.0.0.1,::1');
    assert.ok(!env.NO_PROXY?.includes('airlock.internal'));
    assert.equal(env.NODE_USE_ENV_PROXY, '1');
    assert.ok(!JSON.stringify(env).includes('sk-real'));
    assert.equal(tokenFromEnv(env), TOKEN);
    assert.equal(tokenFromEnv(parent), null);
  });

  it('passes --pass names, never one that looks like a credential or that Airlock sets', () => {
    assert.equal(build(['EDITOR']).EDITOR, 'vi');
    for (const name of [
      'AWS_SECRET_ACCESS_KEY',
      'GITHUB_TOKEN',
      'DB_PASSWORD',
      'HTTPS_PROXY',
      'SSL_CERT_FILE',
      'a-b',
    ]) {
      assert.throws(
        () => build([name]),
        (err) => isAirlockError(err, 'ERR_INVALID_ARGUMENT'),
        name,
      );
    }
  });

  it('leaves PATH, HOME and the locale to a container (airlock env)', () => {
    const env = build([], false);
    assert.equal(env.PATH, undefined);
    assert.equal(env.HOME, undefined);
    assert.equal(env.OPENAI_API_KEY, PH);
  });

  it('names credentials by their words', () => {
    for (const n of [
      'OPENAI_API_KEY',
      'GITHUB_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'PGPASSWORD'.replace('PG', 'PG_'),
      'SENTRY_DSN',
    ]) {
      assert.equal(looksLikeCredential(n), true, n);
    }
    for (const n of ['PATH', 'KEYBOARD', 'EDITOR', 'PASSAGE', 'TOKENIZERS_PARALLELISM']) {
      assert.equal(looksLikeCredential(n), false, n);
    }
  });
});

describe('env formats', () => {
  const env = { B: "it's", A: 'x=1' };
  it('prints dotenv, shell and JSON, names sorted', () => {
    assert.equal(formatEnv(env, 'dotenv'), "A=x=1\nB=it's\n");
    assert.equal(formatEnv(env, 'shell'), "export A='x=1'\nexport B='it'\\''s'\n");
    assert.deepEqual(JSON.parse(formatEnv(env, 'json')), { A: 'x=1', B: "it's" });
    assert.throws(
      () => formatEnv({ A: 'a\nb' }, 'dotenv'),
      (e) => isAirlockError(e, 'ERR_INVALID_ARGUMENT'),
    );
    assert.equal(parseEnvFormat(undefined), 'dotenv');
    assert.throws(
      () => parseEnvFormat('yaml'),
      (e) => isAirlockError(e, 'ERR_INVALID_ARGUMENT'),
    );
  });
});

describe('the run directory and launching', () => {
  it('is private, holds only certificates, and is removed', async () => {
    const dir = await createRunDir(
      caBundle('-----BEGIN CERTIFICATE-----\nAIRLOCK\n-----END CERTIFICATE-----'),
    );
    assert.equal((await stat(dir.dir)).mode & 0o777, 0o700);
    assert.equal((await stat(dir.caFile)).mode & 0o777, 0o600);
    await dir.remove();
    await assert.rejects(stat(dir.dir));
    await dir.remove();
  });

  it('the bundle has the system roots, then the Airlock CA', () => {
    const b = caBundle('-----BEGIN CERTIFICATE-----\nAIRLOCK\n-----END CERTIFICATE-----');
    assert.ok(b.endsWith('AIRLOCK\n-----END CERTIFICATE-----\n'));
    assert.ok((b.match(/BEGIN CERTIFICATE/g) ?? []).length > 10);
  });

  it('exits with the command’s status, and forwards signals while it runs', async () => {
    const signals = new EventEmitter();
    assert.equal(await launch({ command: '/bin/sh', args: ['-c', 'exit 3'], env: {}, signals }), 3);
    const dir = await createRunDir('');
    const ready = join(dir.dir, 'ready');
    const running = launch({
      command: '/bin/sh',
      args: ['-c', `trap "exit 9" HUP; : > ${ready}; while :; do sleep 0.05; done`],
      env: {},
      signals,
    });
    // Poll, with a deadline, until the trap is installed; then signal once.
    const deadline = Date.now() + 10_000;
    while (!existsSync(ready)) {
      assert.ok(Date.now() < deadline, 'the command never became ready');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    signals.emit('SIGHUP');
    assert.equal(await running, 9);
    await dir.remove();
    assert.equal(signals.listenerCount('SIGHUP'), 0);
    await assert.rejects(launch({ command: '/nonexistent/cmd', args: [], env: {}, signals }), (e) =>
      isAirlockError(e, 'ERR_COMMAND_FAILED'),
    );
  });
});
