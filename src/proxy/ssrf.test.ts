import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAirlockError } from '../core/index.ts';
import { resolveProxyOptions } from './options.ts';
import { checkDestination } from './ssrf.ts';

const strict = resolveProxyOptions({
  resolve: [
    { host: 'internal.test', port: 443, address: '10.1.2.3' },
    { host: 'public.test', port: 443, address: '93.184.216.34' },
    { host: 'mapped.test', port: 443, address: '::ffff:169.254.169.254' },
  ],
});

test('checkDestination refuses every non-public address class', async () => {
  for (const host of [
    '127.0.0.1',
    '10.0.0.1',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    'ff02::1',
  ]) {
    await assert.rejects(checkDestination(host, 443, strict), (err: unknown) =>
      isAirlockError(err, 'ERR_PRIVATE_ADDRESS'),
    );
  }
});

test('checkDestination judges resolve overrides like DNS answers', async () => {
  await assert.rejects(checkDestination('internal.test', 443, strict), (err: unknown) =>
    isAirlockError(err, 'ERR_PRIVATE_ADDRESS'),
  );
  await assert.rejects(checkDestination('mapped.test', 443, strict), (err: unknown) =>
    isAirlockError(err, 'ERR_PRIVATE_ADDRESS'),
  );
  assert.deepEqual(await checkDestination('public.test', 443, strict), {
    address: '93.184.216.34',
    family: 4,
  });
  assert.deepEqual(await checkDestination('2606:4700::1111', 443, strict), {
    address: '2606:4700::1111',
    family: 6,
  });
});

test('allowPrivate admits a CIDR or a host name, nothing else', async () => {
  const allowed = resolveProxyOptions({
    allowPrivate: ['10.0.0.0/8', 'db.internal'],
    resolve: [
      { host: 'internal.test', port: 443, address: '10.1.2.3' },
      { host: 'db.internal', port: 5432, address: '192.168.7.7' },
      { host: 'other.internal', port: 443, address: '192.168.7.7' },
    ],
  });
  assert.equal((await checkDestination('internal.test', 443, allowed)).address, '10.1.2.3');
  assert.equal((await checkDestination('db.internal', 5432, allowed)).address, '192.168.7.7');
  await assert.rejects(checkDestination('other.internal', 443, allowed), (err: unknown) =>
    isAirlockError(err, 'ERR_PRIVATE_ADDRESS'),
  );
  await assert.rejects(checkDestination('127.0.0.1', 443, allowed), (err: unknown) =>
    isAirlockError(err, 'ERR_PRIVATE_ADDRESS'),
  );
});
