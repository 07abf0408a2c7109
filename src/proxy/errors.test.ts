import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { AirlockError } from '../core/index.ts';
import { statusFor, upstreamError, writeRawError } from './errors.ts';

function errno(code: string, message = code): Error {
  return Object.assign(new Error(message), { code });
}

test('upstream failures map to stable codes', () => {
  const cases: [unknown, string][] = [
    [errno('ECONNREFUSED'), 'ERR_UPSTREAM_UNREACHABLE'],
    [errno('ECONNRESET'), 'ERR_UPSTREAM_UNREACHABLE'],
    [errno('EHOSTUNREACH'), 'ERR_UPSTREAM_UNREACHABLE'],
    [errno('ETIMEDOUT'), 'ERR_UPSTREAM_TIMEOUT'],
    [errno('ERR_TLS_CERT_ALTNAME_INVALID'), 'ERR_UPSTREAM_TLS'],
    [errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'ERR_UPSTREAM_TLS'],
    [errno('SELF_SIGNED_CERT_IN_CHAIN'), 'ERR_UPSTREAM_TLS'],
    [errno('CERT_HAS_EXPIRED'), 'ERR_UPSTREAM_TLS'],
    [errno('ERR_SSL_WRONG_VERSION_NUMBER'), 'ERR_UPSTREAM_TLS'],
    [new Error('weird'), 'ERR_UPSTREAM_UNREACHABLE'],
    ['not an error', 'ERR_UPSTREAM_UNREACHABLE'],
  ];
  for (const [err, code] of cases)
    assert.equal(upstreamError(err, 'api.example.com', 443).code, code);
  const own = new AirlockError('ERR_UPSTREAM_TIMEOUT', 'x');
  assert.equal(upstreamError(own, 'h', 1), own);
});

test('upstream error messages name the destination, never the underlying message', () => {
  const e = upstreamError(
    errno('ECONNREFUSED', 'connect to https://user:pw@x failed'),
    'api.example.com',
    8443,
  );
  assert.match(e.message, /api\.example\.com:8443/);
  assert.doesNotMatch(e.message, /pw/);
});

test('writeRawError writes a JSON error with X-Airlock-Error and ends the socket', async () => {
  const sink = new PassThrough();
  let out = '';
  sink.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const ended = new Promise((resolve) => sink.once('end', resolve));
  const status = writeRawError(
    sink,
    new AirlockError('ERR_PROXY_AUTH_REQUIRED', 'see https://u:p@h/'),
  );
  await ended;
  assert.equal(status, 407);
  const [head = '', body = ''] = out.split('\r\n\r\n');
  assert.match(head, /^HTTP\/1\.1 407 Proxy Authentication Required\r\n/);
  assert.match(head, /\r\nX-Airlock-Error: ERR_PROXY_AUTH_REQUIRED\r\n/);
  assert.match(head, /\r\nProxy-Authenticate: Basic realm="airlock"\r\n/);
  assert.match(head, /\r\nProxy-Authenticate: Bearer realm="airlock"\r\n/);
  assert.match(head, /\r\nConnection: close/);
  assert.equal(Number(/Content-Length: (\d+)/.exec(head)?.[1]), Buffer.byteLength(body));
  assert.deepEqual(JSON.parse(body), {
    error: { code: 'ERR_PROXY_AUTH_REQUIRED', message: 'see https://h/' },
  });
});

test('statusFor covers every code the proxy answers with', () => {
  assert.equal(statusFor('ERR_HOST_MISMATCH'), 421);
  assert.equal(statusFor('ERR_PRIVATE_ADDRESS'), 403);
  assert.equal(statusFor('ERR_UPSTREAM_TIMEOUT'), 504);
  assert.equal(statusFor('ERR_HEADERS_TOO_LARGE'), 431);
  assert.equal(statusFor('ERR_INTERNAL'), 500);
});
