import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AirlockError } from '../core/index.ts';
import { type IsolationProbe, launchIsolated, requireIsolation } from './sandbox.ts';

const unavailable: IsolationProbe = async () => 'user namespaces are disabled';
const available: IsolationProbe = async () => null;

function isCode(code: string): (err: unknown) => boolean {
  return (err) => err instanceof AirlockError && err.code === code;
}

test('isolation-unavailable: a failing probe refuses with ERR_ISOLATION_UNAVAILABLE and says how to go on', async () => {
  await assert.rejects(
    requireIsolation(unavailable, 'bwrap', '/nonexistent/proxy.sock'),
    (err) =>
      isCode('ERR_ISOLATION_UNAVAILABLE')(err) && /disabled.*--no-isolation/.test(String(err)),
  );
});

test('isolation-unavailable: no proxy socket (a remote server) refuses too', async () => {
  await assert.rejects(
    requireIsolation(available, 'bwrap', '/nonexistent/proxy.sock'),
    isCode('ERR_ISOLATION_UNAVAILABLE'),
  );
});

test('a missing --ro path is refused before anything starts', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'airlock-sandbox-test-'));
  const server = createServer();
  try {
    const home = join(dir, 'home');
    await mkdir(join(home, 'proxy'), { recursive: true });
    await writeFile(join(home, 'admin.sock'), '');
    const runDir = join(dir, 'run');
    await mkdir(runDir);
    const proxySocket = join(home, 'proxy', 'proxy.sock');
    await new Promise<void>((resolve) => server.listen(proxySocket, resolve));
    await requireIsolation(available, 'bwrap', proxySocket);
    const base = {
      command: '/bin/true',
      args: [],
      env: { PATH: '/usr/bin:/bin' },
      // Never started: the check comes first.
      bwrap: '/bin/echo',
      runDir,
      proxySocket,
      port: 4780,
      hide: [home, join(home, 'admin.sock')],
    };
    await assert.rejects(
      launchIsolated({ ...base, readOnly: [join(dir, 'missing')] }),
      isCode('ERR_INVALID_ARGUMENT'),
    );
  } finally {
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
});
