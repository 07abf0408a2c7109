import assert from 'node:assert/strict';
import { BlockList } from 'node:net';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { isAirlockError } from '../core/index.ts';
import {
  type AddressClass,
  cidrContains,
  classifyAddress,
  ipv4Mapped,
  isAllowedPrivate,
  parseAllowPrivateEntry,
  parseCidr,
} from './index.ts';

describe('classifyAddress', () => {
  const cases: [string, AddressClass][] = [
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['93.184.216.34', 'public'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['172.15.255.255', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['100.128.0.0', 'public'],
    ['169.254.169.254', 'metadata'],
    ['169.254.170.2', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['168.63.129.16', 'metadata'],
    ['169.254.1.1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.1', 'reserved'],
    ['203.0.113.1', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['192.0.0.8', 'reserved'],
    // inet_aton forms are read as the address they denote
    ['2130706433', 'loopback'],
    ['0x7f.1', 'loopback'],
    ['0177.0.0.1', 'loopback'],
    ['0xa9fea9fe', 'metadata'],
    // IPv6
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['2606:4700:4700::1111', 'public'],
    ['2a00:1450:4001:80b::200e', 'public'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['fd00:ec2::254', 'metadata'],
    ['fd00:ec2::253', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['2001::1', 'reserved'],
    ['100::1', 'reserved'],
    ['4000::1', 'reserved'],
    ['3fff::1', 'reserved'],
    // IPv6 carrying IPv4
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:10.1.2.3', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['::10.0.0.1', 'private'],
    ['::8.8.8.8', 'public'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['2002:808:808::1', 'public'],
  ];
  for (const [ip, want] of cases) {
    test(`${ip} is ${want}`, () => assert.equal(classifyAddress(ip), want));
  }

  for (const notIp of [
    '',
    'example.com',
    '1.2.3.4.5',
    '::1::',
    '[::1',
    'fe80::1%eth0',
    '1.2.3.4/8',
  ]) {
    test(`refuses ${JSON.stringify(notIp)} as a caller bug`, () => {
      assert.throws(() => classifyAddress(notIp), TypeError);
    });
  }

  test('an IPv4-mapped address classifies as its IPv4 address', () => {
    fc.assert(
      fc.property(fc.ipV4(), (v4) => {
        assert.equal(classifyAddress(`::ffff:${v4}`), classifyAddress(v4));
        assert.equal(classifyAddress(`64:ff9b::${v4}`), classifyAddress(v4));
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});

describe('ipv4Mapped', () => {
  const cases: [string, string | null][] = [
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:7f00:1', '127.0.0.1'],
    ['0:0:0:0:0:ffff:a9fe:a9fe', '169.254.169.254'],
    ['::1', null],
    ['::127.0.0.1', null],
    ['127.0.0.1', null],
    ['example.com', null],
  ];
  for (const [ip, want] of cases) test(ip, () => assert.equal(ipv4Mapped(ip), want));
});

describe('parseCidr and cidrContains', () => {
  test('parses blocks and refuses malformed ones', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { version: 4, bytes: [10, 0, 0, 0], prefix: 8 });
    assert.deepEqual(parseCidr('192.168.1.5'), {
      version: 4,
      bytes: [192, 168, 1, 5],
      prefix: 32,
    });
    assert.equal(parseCidr('fd00::/8')?.prefix, 8);
    assert.equal(parseCidr('::1')?.prefix, 128);
    assert.equal(parseCidr('0.0.0.0/0')?.prefix, 0);
    for (const bad of [
      '10.0.0.1/8', // host bits set
      '10.0.0.0/33',
      '10.0.0.0/',
      '10.0.0.0/08',
      '10.0.0.0/-1',
      '10/8', // short IPv4 is not allowed in an allow-list
      '0x0a.0.0.0/8',
      'fd00::/129',
      'fd00::1/8',
      'example.com',
      '',
    ]) {
      assert.equal(parseCidr(bad), null, bad);
    }
  });

  const contains: [string, string, boolean][] = [
    ['10.0.0.0/8', '10.1.2.3', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '::ffff:10.0.0.5', true],
    ['172.16.0.0/12', '172.31.0.1', true],
    ['172.16.0.0/12', '172.32.0.1', false],
    ['192.168.1.5', '192.168.1.5', true],
    ['192.168.1.5', '192.168.1.6', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '::1', false],
    ['fd00::/8', 'fd12::1', true],
    ['fd00::/8', 'fe80::1', false],
    ['::1', '::1', true],
    ['::1', '127.0.0.1', false],
  ];
  for (const [cidr, ip, want] of contains) {
    test(`${cidr} ${want ? 'contains' : 'does not contain'} ${ip}`, () => {
      const parsed = parseCidr(cidr);
      assert.ok(parsed);
      assert.equal(cidrContains(parsed, ip), want);
    });
  }

  test('agrees with node:net BlockList', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc
            .tuple(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 32 }))
            .map(([a, b, p]) => ['ipv4', a, b, p] as const),
          fc
            .tuple(fc.ipV6(), fc.ipV6(), fc.integer({ min: 0, max: 128 }))
            .map(([a, b, p]) => ['ipv6', a, b, p] as const),
        ),
        ([family, net, ip, prefix]) => {
          const list = new BlockList();
          list.addSubnet(net, prefix, family);
          // Build the block from the reference's own view of the network address.
          const masked = maskedNetwork(net, prefix, family);
          const cidr = parseCidr(`${masked}/${prefix}`);
          assert.ok(cidr, `${masked}/${prefix}`);
          // Same-family probes only: BlockList also maps between families.
          assert.equal(cidrContains(cidr, ip), list.check(ip, family), `${masked}/${prefix} ${ip}`);
          assert.equal(cidrContains(cidr, net), true);
        },
      ),
      { seed: 99, numRuns: 1000 },
    );
  });
});

/** The network address of `ip/prefix`, computed with BigInt as an independent reference. */
function maskedNetwork(ip: string, prefix: number, family: 'ipv4' | 'ipv6'): string {
  if (family === 'ipv4') {
    const n = ip.split('.').reduce((acc, o) => acc * 256n + BigInt(o), 0n);
    const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(32 - prefix);
    const m = n & mask;
    return [24n, 16n, 8n, 0n].map((s) => String((m >> s) & 255n)).join('.');
  }
  const url = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const [head = '', tail] = url.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const words = [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const n = words.reduce((acc, w) => acc * 65536n + BigInt(`0x${w}`), 0n);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix);
  const m = n & mask;
  const out: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) out.push(((m >> s) & 0xffffn).toString(16));
  return out.join(':');
}

describe('allow-private', () => {
  test('parses CIDR, address and host entries', () => {
    assert.equal(parseAllowPrivateEntry('10.0.0.0/8').kind, 'cidr');
    assert.equal(parseAllowPrivateEntry('::1').kind, 'cidr');
    assert.deepEqual(parseAllowPrivateEntry('DB.internal'), {
      kind: 'host',
      pattern: 'db.internal',
    });
    assert.deepEqual(parseAllowPrivateEntry('*.corp.example'), {
      kind: 'host',
      pattern: '*.corp.example',
    });
  });

  for (const bad of ['10.0.0.1/8', 'db.internal:5432', 'http://db', '*.com', '', 'a b', '10/8']) {
    test(`refuses entry ${JSON.stringify(bad)}`, (t) => {
      t.plan(1);
      try {
        parseAllowPrivateEntry(bad);
      } catch (err) {
        t.assert.equal(isAirlockError(err, 'ERR_INVALID_ARGUMENT'), true);
      }
    });
  }

  const cases: [readonly string[], string, string, boolean][] = [
    [[], 'db.internal', '10.0.0.5', false],
    [['10.0.0.0/8'], 'db.internal', '10.0.0.5', true],
    [['10.0.0.0/8'], 'db.internal', '::ffff:10.0.0.5', true],
    [['10.0.0.0/8'], 'db.internal', '192.168.0.5', false],
    [['db.internal'], 'db.internal', '192.168.0.5', true],
    [['db.internal'], 'other.internal', '192.168.0.5', false],
    [['*.corp.example'], 'a.corp.example', '10.1.1.1', true],
    [['*.corp.example'], 'corp.example', '10.1.1.1', false],
    [['*.corp.example'], 'corp.example.evil.com', '10.1.1.1', false],
    [['127.0.0.1'], 'localhost', '127.0.0.1', true],
    [['127.0.0.1'], 'localhost', '::1', false],
    [['fd00::/8', 'db.internal'], 'x', 'fd00::5', true],
  ];
  for (const [allow, host, ip, want] of cases) {
    test(`[${allow.join(',')}] ${want ? 'allows' : 'does not allow'} ${host} at ${ip}`, () => {
      assert.equal(isAllowedPrivate(allow, host, ip), want);
    });
  }
});
