import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAirlockError } from '../core/index.ts';
import { DEFAULT_PROXY_LIMITS, resolveProxyOptions } from './options.ts';

test('resolveProxyOptions fills in the safe defaults', () => {
  const o = resolveProxyOptions({});
  assert.equal(o.egress, 'deny');
  assert.deepEqual(o.egressAllow, []);
  assert.deepEqual(o.allowPrivate, []);
  assert.deepEqual(o.limits, DEFAULT_PROXY_LIMITS);
  assert.equal(o.resolve.size, 0);
});

test('resolveProxyOptions parses egressAllow and the resolve table, and keeps given limits', () => {
  const o = resolveProxyOptions({
    egressAllow: ['*.Example.com', 'api.test:8443'],
    resolve: [{ host: 'API.test', port: 443, address: '10.0.0.1' }],
    limits: { maxHeaderBytes: 1024 },
  });
  assert.deepEqual(o.egressAllow, [
    { pattern: '*.example.com', port: 443 },
    { pattern: 'api.test', port: 8443 },
  ]);
  assert.equal(o.resolve.get('api.test:443'), '10.0.0.1');
  assert.equal(o.limits.maxHeaderBytes, 1024);
  assert.equal(o.limits.idleTimeoutMs, DEFAULT_PROXY_LIMITS.idleTimeoutMs);
});

test('bad configuration fails at startup', () => {
  assert.throws(() => resolveProxyOptions({ limits: { maxRequestBodyBytes: 0 } }), TypeError);
  assert.throws(() => resolveProxyOptions({ limits: { idleTimeoutMs: 1.5 } }), TypeError);
  assert.throws(
    () => resolveProxyOptions({ allowPrivate: ['10.0.0.1/8'] }),
    (err: unknown) => isAirlockError(err, 'ERR_INVALID_ARGUMENT'),
  );
  assert.throws(
    () => resolveProxyOptions({ egressAllow: ['https://x'] }),
    (err: unknown) => isAirlockError(err, 'ERR_INVALID_ARGUMENT'),
  );
});
