import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { type ErrorCode, isAirlockError } from '../core/index.ts';
import {
  formatAuthority,
  formatHostPattern,
  matchHost,
  parseConnectTarget,
  parseHostPattern,
} from './index.ts';

function assertCode(fn: () => unknown, code: ErrorCode): void {
  assert.throws(fn, (err: unknown) => isAirlockError(err, code));
}

describe('parseHostPattern', () => {
  const ok: [string, number, string, number][] = [
    ['api.example.com', 443, 'api.example.com', 443],
    ['API.Example.COM', 443, 'api.example.com', 443],
    ['api.example.com:8443', 443, 'api.example.com', 8443],
    ['*.example.com', 80, '*.example.com', 80],
    ['*.EXAMPLE.com:1', 443, '*.example.com', 1],
    ['localhost', 443, 'localhost', 443],
    ['xn--bcher-kva.example', 443, 'xn--bcher-kva.example', 443],
    ['1.2.3.4', 443, '1.2.3.4', 443],
    ['10.0.0.1:65535', 443, '10.0.0.1', 65535],
    ['[::1]:8443', 443, '::1', 8443],
    ['[::1]', 443, '::1', 443],
    ['[2001:DB8:0:0:0:0:0:1]', 443, '2001:db8::1', 443],
    ['[::ffff:7f00:1]', 443, '::ffff:127.0.0.1', 443],
    [`${'a'.repeat(63)}.com`, 443, `${'a'.repeat(63)}.com`, 443],
  ];
  for (const [input, port, pattern, wantPort] of ok) {
    test(`accepts ${input.slice(0, 40)}`, () => {
      assert.deepEqual(parseHostPattern(input, port), { pattern, port: wantPort });
    });
  }

  const bad: [string, string][] = [
    ['', 'empty'],
    ['*', 'bare wildcard'],
    ['*.com', 'wildcard over a single label'],
    ['a.*.example.com', 'wildcard in the middle'],
    ['*a.example.com', 'partial wildcard'],
    ['api.*', 'wildcard at the end'],
    ['**.example.com', 'double star'],
    ['*.*.example.com', 'two wildcards'],
    ['example..com', 'empty label'],
    ['.example.com', 'leading dot'],
    ['example.com.', 'trailing dot'],
    [`${'a'.repeat(64)}.com`, 'label over 63'],
    [`${'abcdefghi.'.repeat(26)}com`, 'name over 253'],
    ['exa_mple.com', 'underscore'],
    ['-example.com', 'leading hyphen'],
    ['example-.com', 'trailing hyphen'],
    ['exämple.com', 'non-ASCII'],
    ['https://example.com', 'scheme'],
    ['user@example.com', 'userinfo'],
    ['user:pw@example.com', 'userinfo with password'],
    ['example.com/path', 'path'],
    ['example.com?q', 'query'],
    ['example.com#f', 'fragment'],
    ['example.com:0', 'port 0'],
    ['example.com:65536', 'port too big'],
    ['example.com:080', 'leading zero port'],
    ['example.com:', 'empty port'],
    ['example.com:+1', 'signed port'],
    ['example.com:443:443', 'two ports'],
    ['example.com ', 'trailing space'],
    [' example.com', 'leading space'],
    ['exa\nmple.com', 'newline'],
    ['127.1', 'short IPv4'],
    ['2130706433', 'decimal IPv4'],
    ['0x7f.0.0.1', 'hex IPv4'],
    ['0177.0.0.1', 'octal IPv4'],
    ['256.1.1.1', 'octet too big'],
    ['1.2.3.4.5', 'five parts'],
    ['example.123', 'numeric last label'],
    ['*.1.2.3', 'wildcard over an IP'],
    ['::1', 'unbracketed IPv6'],
    ['[::1', 'unclosed bracket'],
    ['[::1]x', 'text after bracket'],
    ['[1.2.3.4]', 'IPv4 in brackets'],
    ['[fe80::1%eth0]', 'zone id'],
    ['[*.example.com]', 'wildcard in brackets'],
    ['a'.repeat(400), 'huge'],
  ];
  for (const [input, why] of bad) {
    test(`refuses ${why}`, (t) => {
      t.plan(2);
      try {
        parseHostPattern(input, 443);
      } catch (err) {
        t.assert.equal(isAirlockError(err, 'ERR_INVALID_ARGUMENT'), true);
        // Never echo the input back.
        t.assert.equal(!(err as Error).message.includes(input) || input.length < 2, true);
      }
    });
  }

  test('caller bugs are TypeErrors', () => {
    assert.throws(() => parseHostPattern(1 as unknown as string, 443), TypeError);
    assert.throws(() => parseHostPattern('a.com', 0), TypeError);
  });

  test('formatHostPattern parses back to the same pattern', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.domain().map((d) => d.toLowerCase()),
          fc.ipV4(),
          fc.ipV6().map((a) => `[${a}]`),
          fc.domain().map((d) => `*.x.${d}`),
        ),
        fc.integer({ min: 1, max: 65535 }),
        (host, port) => {
          let p: ReturnType<typeof parseHostPattern>;
          try {
            p = parseHostPattern(`${host}:${port}`, 443);
          } catch {
            return; // fc.domain() may produce names our stricter rules refuse
          }
          assert.deepEqual(parseHostPattern(formatHostPattern(p), 1), p);
        },
      ),
      { seed: 20240601, numRuns: 500 },
    );
  });
});

describe('matchHost', () => {
  const exact = parseHostPattern('example.com', 443);
  const wild = parseHostPattern('*.example.com', 443);
  const v6 = parseHostPattern('[::1]:8443', 443);
  const cases: [string, ReturnType<typeof parseHostPattern>, string, number, boolean][] = [
    ['exact', exact, 'example.com', 443, true],
    ['exact, other port', exact, 'example.com', 8443, false],
    ['exact vs subdomain', exact, 'a.example.com', 443, false],
    ['wildcard vs apex', wild, 'example.com', 443, false],
    ['wildcard one level', wild, 'a.example.com', 443, true],
    ['wildcard two levels', wild, 'a.b.example.com', 443, true],
    ['wildcard vs look-alike', wild, 'evil-example.com', 443, false],
    ['wildcard vs suffix without dot', wild, 'aexample.com', 443, false],
    ['wildcard vs attacker suffix', wild, 'example.com.evil.com', 443, false],
    ['exact vs attacker suffix', exact, 'example.com.evil.com', 443, false],
    ['exact vs look-alike', exact, 'evil-example.com', 443, false],
    ['wildcard vs empty label', wild, '.example.com', 443, false],
    ['wildcard, wrong port', wild, 'a.example.com', 80, false],
    ['ipv6', v6, '::1', 8443, true],
    ['ipv6, other port', v6, '::1', 443, false],
  ];
  for (const [name, pattern, host, port, want] of cases) {
    test(name, () => assert.equal(matchHost(pattern, host, port), want));
  }

  test('matches what parseConnectTarget makes of the same text, in any case', () => {
    const target = parseConnectTarget('API.EXAMPLE.COM:443');
    assert.ok(matchHost(wild, target.host, target.port));
    assert.ok(!matchHost(exact, target.host, target.port));
  });
});

describe('parseConnectTarget', () => {
  const ok: [string, string, number][] = [
    ['example.com:443', 'example.com', 443],
    ['EXAMPLE.com:443', 'example.com', 443],
    ['a.b.example.com:8443', 'a.b.example.com', 8443],
    ['127.0.0.1:443', '127.0.0.1', 443],
    ['2130706433:443', '127.0.0.1', 443],
    ['0177.0.0.1:443', '127.0.0.1', 443],
    ['0x7f.1:443', '127.0.0.1', 443],
    ['0x7F.0x0.0x0.0x1:443', '127.0.0.1', 443],
    ['127.1:443', '127.0.0.1', 443],
    ['127.0.1:443', '127.0.0.1', 443],
    ['0:443', '0.0.0.0', 443],
    ['0xa9fea9fe:80', '169.254.169.254', 80],
    ['169.254.43518:80', '169.254.169.254', 80],
    ['4294967295:1', '255.255.255.255', 1],
    ['[::1]:443', '::1', 443],
    ['[::ffff:127.0.0.1]:443', '::ffff:127.0.0.1', 443],
    ['[::ffff:7F00:1]:443', '::ffff:127.0.0.1', 443],
    ['[0:0:0:0:0:0:0:1]:443', '::1', 443],
    ['[2001:DB8::0:1]:443', '2001:db8::1', 443],
    ['[fd00:ec2::254]:80', 'fd00:ec2::254', 80],
    ['1.2.3.a:443', '1.2.3.a', 443],
  ];
  for (const [input, host, port] of ok) {
    test(`accepts ${input}`, () => assert.deepEqual(parseConnectTarget(input), { host, port }));
  }

  const bad: [string, string][] = [
    ['host', 'no port'],
    ['host:', 'empty port'],
    ['host:0', 'port 0'],
    ['host:99999', 'port too big'],
    ['host:65536', 'port 65536'],
    ['host:0443', 'leading zero port'],
    ['host:44a', 'non-numeric port'],
    ['a b:443', 'space'],
    [' host:443', 'leading space'],
    ['host:443 ', 'trailing space'],
    ['ho\tst:443', 'tab'],
    ['ho\rst:443', 'CR'],
    ['ho\nst:443', 'LF'],
    ['ho\0st:443', 'NUL'],
    ['user@host:443', 'userinfo'],
    ['user:pw@host:443', 'userinfo with password'],
    ['host:443@evil.com:443', 'userinfo after port'],
    ['http://host:443', 'scheme'],
    ['host:443/path', 'path'],
    ['host/..:443', 'path in host'],
    ['ho%73t:443', 'percent-encoding'],
    ['host\\.com:443', 'backslash'],
    ['example.com.:443', 'trailing dot'],
    ['example..com:443', 'empty label'],
    ['*.example.com:443', 'wildcard'],
    ['exa_mple.com:443', 'underscore'],
    ['1.2.3.4.5:443', 'five-part IPv4'],
    ['256.0.0.1:443', 'octet too big'],
    ['4294967296:443', 'decimal over 32 bits'],
    ['08.0.0.1:443', 'bad octal'],
    ['0x:443', 'empty hex'],
    ['1.0x100.0.0:443', 'hex part too big'],
    ['example.123:443', 'numeric last label'],
    ['::1:443', 'unbracketed IPv6'],
    ['[::1]', 'bracketed IPv6 without port'],
    ['[::1]443', 'no colon after bracket'],
    ['[::1:443', 'unclosed bracket'],
    ['[fe80::1%25eth0]:443', 'zone id'],
    ['[1.2.3.4]:443', 'IPv4 in brackets'],
    ['[::1::2]:443', 'two ::'],
    ['[1:2:3:4:5:6:7:8:9]:443', 'nine groups'],
    ['[12345::]:443', 'group too long'],
    [':443', 'empty host'],
    ['a'.repeat(400), 'huge'],
  ];
  for (const [input, why] of bad) {
    test(`refuses ${why}`, () => assertCode(() => parseConnectTarget(input), 'ERR_BAD_REQUEST'));
  }

  test('IPv4 canonicalisation agrees with the WHATWG URL parser', () => {
    const part = fc.oneof(
      fc.nat({ max: 300 }).map(String),
      fc.nat({ max: 300 }).map((n) => `0${n.toString(8)}`),
      fc.nat({ max: 300 }).map((n) => `0x${n.toString(16)}`),
      fc.nat({ max: 0xffffffff }).map(String),
      fc.nat({ max: 0xffffff }).map((n) => `0x${n.toString(16)}`),
    );
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
        const host = parts.join('.');
        let reference: string | null;
        try {
          reference = new URL(`http://${host}/`).hostname;
        } catch {
          reference = null;
        }
        let ours: string | null;
        try {
          ours = parseConnectTarget(`${host}:443`).host;
        } catch {
          ours = null;
        }
        assert.equal(ours, reference, host);
      }),
      { seed: 7, numRuns: 1000 },
    );
  });

  test('IPv6 canonical form agrees with the WHATWG URL parser (outside ::ffff:0:0/96)', () => {
    fc.assert(
      fc.property(fc.ipV6(), (addr) => {
        const ours = parseConnectTarget(`[${addr}]:443`).host;
        const reference = new URL(`http://[${addr}]/`).hostname.slice(1, -1);
        if (ours.startsWith('::ffff:') && ours.includes('.')) return; // RFC 5952 §5 mixed form
        assert.equal(ours, reference, addr);
      }),
      { seed: 11, numRuns: 1000 },
    );
  });

  test('output is canonical: parsing it again changes nothing', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.domain(),
          fc.ipV4(),
          fc.ipV4Extended(),
          fc.ipV6().map((a) => `[${a}]`),
        ),
        fc.integer({ min: 1, max: 65535 }),
        (host, port) => {
          let t: ReturnType<typeof parseConnectTarget>;
          try {
            t = parseConnectTarget(`${host}:${port}`);
          } catch {
            return;
          }
          assert.deepEqual(parseConnectTarget(formatAuthority(t.host, t.port)), t);
        },
      ),
      { seed: 3, numRuns: 1000 },
    );
  });
});
