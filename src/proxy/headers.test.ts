import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isAirlockError } from '../core/index.ts';
import { contentLength, rewriteRequestHeaders, rewriteResponseHeaders } from './headers.ts';

test('rewriteRequestHeaders drops hop-by-hop headers and those Connection lists', () => {
  const raw = [
    'Host',
    'api.example.com',
    'Connection',
    'keep-alive, X-Secret-Hop',
    'X-Secret-Hop',
    '1',
    'Keep-Alive',
    'timeout=5',
    'Proxy-Connection',
    'keep-alive',
    'Proxy-Authorization',
    'Basic eDp5',
    'TE',
    'trailers',
    'Trailer',
    'X-T',
    'Transfer-Encoding',
    'chunked',
    'Upgrade',
    'h2c',
    'Authorization',
    'Bearer agent',
    'X-Kept',
    'yes',
  ];
  const out = rewriteRequestHeaders(raw, { host: null, websocket: false });
  // Authorization is left for injectCredential, which strips every credential.
  assert.deepEqual(out, [
    ['Host', 'api.example.com'],
    ['Authorization', 'Bearer agent'],
    ['X-Kept', 'yes'],
  ]);
});

test('rewriteRequestHeaders keeps the WebSocket upgrade and can replace Host', () => {
  const raw = [
    'Host',
    'evil',
    'HOST',
    'evil2',
    'Upgrade',
    'websocket',
    'Connection',
    'Upgrade',
    'Sec-WebSocket-Key',
    'k',
  ];
  const out = rewriteRequestHeaders(raw, { host: 'plain.example:8080', websocket: true });
  assert.deepEqual(out, [
    ['host', 'plain.example:8080'],
    ['Sec-WebSocket-Key', 'k'],
    ['connection', 'Upgrade'],
    ['upgrade', 'websocket'],
  ]);
});

test('crlf-injection: control characters in header names or values are refused', () => {
  for (const raw of [
    ['X-A', 'a\r\nX-Injected: 1'],
    ['X-A', 'a\nb'],
    ['X-A', 'nul\u0000'],
    ['X-A', 'del\u007f'],
    ['X-\u0001', 'v'],
  ]) {
    assert.throws(
      () => rewriteRequestHeaders(raw, { host: null, websocket: false }),
      (err: unknown) => isAirlockError(err, 'ERR_BAD_REQUEST'),
    );
  }
  // HTAB is a legal field-value character.
  assert.doesNotThrow(() =>
    rewriteRequestHeaders(['X-A', 'a\tb'], { host: null, websocket: false }),
  );
});

test('rewriteResponseHeaders drops hop-by-hop headers and adds the upgrade pair for a WebSocket', () => {
  const raw = [
    'Connection',
    'close, X-Hop',
    'X-Hop',
    '1',
    'Transfer-Encoding',
    'chunked',
    'Content-Type',
    'text/plain',
    'Proxy-Authenticate',
    'Basic',
  ];
  assert.deepEqual(rewriteResponseHeaders(raw, false), ['Content-Type', 'text/plain']);
  assert.deepEqual(rewriteResponseHeaders(['Sec-WebSocket-Accept', 'x'], true), [
    'Sec-WebSocket-Accept',
    'x',
    'Connection',
    'Upgrade',
    'Upgrade',
    'websocket',
  ]);
});

test('contentLength parses digits only', () => {
  assert.equal(contentLength(undefined), null);
  assert.equal(contentLength('0'), 0);
  assert.equal(contentLength('1024'), 1024);
  for (const bad of ['-1', '1e3', ' 1', '0x10', '', '9999999999999999']) {
    assert.throws(
      () => contentLength(bad),
      (err: unknown) => isAirlockError(err, 'ERR_BAD_REQUEST'),
    );
  }
});
