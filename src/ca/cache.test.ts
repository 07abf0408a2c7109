import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect, createServer, type SecureContext, type Server } from 'node:tls';
import { type Clock, isAirlockError, systemClock } from '../core/index.ts';
import { type CaMaterial, createCa, LeafCache, rotateCa } from './index.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

/** A clock the test moves by hand. */
function manualClock(start: number): Clock & { set(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    set: (ms) => {
      now = ms;
    },
  };
}

describe('LeafCache', () => {
  const ca = createCa({ commonName: 'Airlock CA cache-test', now: T0 });

  it('issues once for 20 concurrent first requests for one host', async () => {
    const cache = new LeafCache({ ca, clock: manualClock(T0) });
    const contexts = await Promise.all(
      Array.from({ length: 20 }, () => cache.secureContextFor('x.test')),
    );
    assert.equal(cache.issuedCount, 1);
    assert.ok(contexts.every((context) => context === contexts[0]));
  });

  it('serves a cached host without issuing again', async () => {
    const cache = new LeafCache({ ca, clock: manualClock(T0) });
    const first = await cache.secureContextFor('a.test');
    const second = await cache.secureContextFor('a.test');
    assert.equal(second, first);
    assert.equal(cache.issuedCount, 1);
    assert.equal(cache.size, 1);
  });

  it('evicts the least recently used host above maxEntries', async () => {
    const cache = new LeafCache({ ca, clock: manualClock(T0), maxEntries: 2 });
    const a = await cache.secureContextFor('a.test');
    await cache.secureContextFor('b.test');
    await cache.secureContextFor('a.test'); // a is now the most recent
    await cache.secureContextFor('c.test'); // evicts b
    assert.equal(cache.size, 2);
    assert.equal(cache.issuedCount, 3);
    assert.equal(await cache.secureContextFor('a.test'), a);
    assert.equal(cache.issuedCount, 3);
    await cache.secureContextFor('b.test');
    assert.equal(cache.issuedCount, 4);
    assert.equal(cache.size, 2);
  });

  it('re-issues a leaf within a day of its notAfter', async () => {
    const clock = manualClock(T0);
    const cache = new LeafCache({ ca, clock });
    const first = await cache.secureContextFor('a.test');
    const notAfter = T0 - HOUR + 7 * DAY;
    clock.set(notAfter - DAY - 1);
    assert.equal(await cache.secureContextFor('a.test'), first);
    clock.set(notAfter - DAY);
    assert.notEqual(await cache.secureContextFor('a.test'), first);
    assert.equal(cache.issuedCount, 2);
  });

  it('renews at half the lifetime when that is shorter than a day', async () => {
    const clock = manualClock(T0);
    const cache = new LeafCache({ ca, clock, lifetimeMs: 4 * HOUR });
    const first = await cache.secureContextFor('a.test');
    clock.set(T0 - HOUR + 2 * HOUR - 1);
    assert.equal(await cache.secureContextFor('a.test'), first);
    clock.set(T0 - HOUR + 2 * HOUR);
    assert.notEqual(await cache.secureContextFor('a.test'), first);
  });

  it('re-issues after the CA changes, but not for an equal copy of it', async () => {
    let current: CaMaterial = ca;
    const cache = new LeafCache({ ca: () => current, clock: manualClock(T0) });
    await cache.secureContextFor('a.test');
    current = { ...ca };
    await cache.secureContextFor('a.test');
    assert.equal(cache.issuedCount, 1);
    current = createCa({ commonName: 'Airlock CA cache-next', now: T0 });
    await cache.secureContextFor('a.test');
    assert.equal(cache.issuedCount, 2);
  });

  it('rejects (not throws) with TypeError for an invalid host', async (t) => {
    t.plan(3);
    const cache = new LeafCache({ ca, clock: manualClock(T0) });
    for (const host of ['A.test', 'a.test\r\n', '*.test']) {
      const pending = cache.secureContextFor(host);
      await t.assert.rejects(pending, TypeError);
    }
  });

  it('does not cache a failure: an expired CA rejects until it is rotated', async (t) => {
    t.plan(3);
    const clock = manualClock(T0 + 4000 * DAY);
    let current: CaMaterial = ca;
    const cache = new LeafCache({ ca: () => current, clock });
    const failures = await Promise.allSettled([
      cache.secureContextFor('a.test'),
      cache.secureContextFor('a.test'),
    ]);
    const expired = (r: PromiseSettledResult<SecureContext>) =>
      r.status === 'rejected' && isAirlockError(r.reason, 'ERR_CA_EXPIRED');
    t.assert.equal(failures.every(expired), true);
    current = createCa({ commonName: 'Airlock CA renewed', now: clock.now() });
    await cache.secureContextFor('a.test');
    t.assert.equal(cache.issuedCount, 1);
    t.assert.equal(cache.size, 1);
  });

  it('fails closed with ERR_CA_INVALID for a corrupt CA', async (t) => {
    t.plan(1);
    const cache = new LeafCache({ ca: { ...ca, certPem: 'garbage' }, clock: manualClock(T0) });
    await t.assert.rejects(cache.secureContextFor('a.test'), (err) =>
      isAirlockError(err, 'ERR_CA_INVALID'),
    );
  });

  it('throws TypeError for bad options', () => {
    const clock = manualClock(T0);
    assert.throws(() => new LeafCache({ ca, clock, maxEntries: 0 }), TypeError);
    assert.throws(() => new LeafCache({ ca, clock, maxEntries: 1.5 }), TypeError);
    assert.throws(() => new LeafCache({ ca, clock, lifetimeMs: 7 * DAY + 1 }), TypeError);
    assert.throws(() => new LeafCache({ ca, clock, lifetimeMs: 0 }), TypeError);
  });
});

describe('LeafCache in a real TLS handshake', () => {
  // Node's TLS client checks validity against the real clock, so these use it.
  const now = systemClock.now();
  let current = createCa({ commonName: 'Airlock CA tls-test', now });
  const cache = new LeafCache({ ca: () => current, clock: systemClock });
  let server: Server;
  let port = 0;

  before(async () => {
    server = createServer({
      SNICallback: (servername: string, done: (err: Error | null, ctx?: SecureContext) => void) => {
        cache.secureContextFor(servername).then(
          (context) => done(null, context),
          (err: unknown) => done(err instanceof Error ? err : new Error('no certificate')),
        );
      },
    });
    server.on('secureConnection', (socket) => socket.end());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    server.close();
    await once(server, 'close');
  });

  /** Connects as a client trusting `caPem` and reports how the handshake went. */
  async function handshake(caPem: string, servername: string) {
    const socket = connect({ host: '127.0.0.1', port, servername, ca: caPem });
    try {
      await once(socket, 'secureConnect');
      return { authorized: socket.authorized, san: socket.getPeerCertificate().subjectaltname };
    } finally {
      socket.destroy();
    }
  }

  it('completes a verified handshake for the SNI host', async () => {
    const result = await handshake(current.certPem, 'api.example.test');
    assert.deepEqual(result, { authorized: true, san: 'DNS:api.example.test' });
  });

  it('is refused by a client that does not trust the CA', async (t) => {
    t.plan(1);
    const stranger = createCa({ commonName: 'Airlock CA stranger', now });
    await t.assert.rejects(handshake(stranger.certPem, 'api.example.test'), (err: Error) =>
      /certificate/i.test(err.message),
    );
  });

  it('serves leaves from the new CA once it rotates', async () => {
    const before = cache.issuedCount;
    const next = createCa({ commonName: 'Airlock CA tls-next', now });
    current = rotateCa({ current, previous: [] }, next, now + DAY).current;
    const result = await handshake(next.certPem, 'api.example.test');
    assert.equal(result.authorized, true);
    assert.equal(cache.issuedCount, before + 1);
  });
});
