// Fuzzing the parsers and matchers an attacker's bytes reach first: the
// CONNECT authority, request headers, host and path patterns, path
// normalisation, scope specs, placeholder splitting and response
// scrubbing. Fixed seeds and small bounds keep `npm test` fast and
// every failure reproducible.
import { test } from 'node:test';
import fc from 'fast-check';
import { AirlockError } from '../../src/core/index.ts';
import {
  formatAuthority,
  matchHost,
  parseConnectTarget,
  parseHostPattern,
} from '../../src/policy/index.ts';
import { normalizePath } from '../../src/policy/path.ts';
import { matchPath, parsePathPattern } from '../../src/policy/path-pattern.ts';
import {
  formatScope,
  intersectScope,
  parseScope,
  type Scope,
  scopeAllows,
  scopeContains,
} from '../../src/policy/scope.ts';
import { secretVariants } from '../../src/proxy/encodings.ts';
import { rewriteRequestHeaders } from '../../src/proxy/headers.ts';
import { ScrubRules, StreamScrubber, scrubBuffer } from '../../src/proxy/scrub.ts';
import {
  joinSegments,
  PlaceholderSplitter,
  splitPlaceholders,
} from '../../src/proxy/substitute.ts';

const RUNS = { seed: 0x5eed_a1c, numRuns: 300 } as const;

/** Strings drawn from the characters that make parsers disagree. */
const hostile = (pieces: readonly string[], maxLength = 12) =>
  fc.array(fc.constantFrom(...pieces), { maxLength }).map((a) => a.join(''));

const AUTHORITY_PIECES = [
  'a',
  'victim',
  'test',
  '.',
  ':',
  '443',
  '0',
  'x',
  '@',
  '[',
  ']',
  '::ffff:',
  '%',
  '2e',
  ' ',
  '\t',
  '\r',
  '\n',
  '\u0000',
  '/',
  '\\',
  '#',
  '?',
  '127',
  '169.254.169.254',
  'ü',
  'A',
];

/** True when `s` holds a C0 control character or DEL. */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function isBadRequest(err: unknown): boolean {
  return err instanceof AirlockError && err.code === 'ERR_BAD_REQUEST';
}

test('fuzz-connect-authority: parsed or refused with ERR_BAD_REQUEST, never a host with a delimiter', () => {
  fc.assert(
    fc.property(hostile(AUTHORITY_PIECES), (authority) => {
      let target: ReturnType<typeof parseConnectTarget>;
      try {
        target = parseConnectTarget(authority);
      } catch (err) {
        return isBadRequest(err);
      }
      if (!(target.port >= 1 && target.port <= 65535)) return false;
      if (/[\s@/\\#?%]/.test(target.host) || hasControl(target.host)) return false;
      // The canonical form parses back to itself.
      const again = parseConnectTarget(formatAuthority(target.host, target.port));
      return again.host === target.host && again.port === target.port;
    }),
    RUNS,
  );
});

test('fuzz-request-headers: control characters refused, proxy credentials never forwarded', () => {
  const name = fc.constantFrom(
    'Host',
    'Proxy-Authorization',
    'proxy-authorization',
    'Connection',
    'X-A',
    'Authorization',
    'Te',
    'Upgrade',
    'X\rB',
  );
  const value = hostile(
    ['a', ' ', 'close', 'X-A', ',', '\r', '\n', '\u0000', 'Bearer x', 'keep-alive'],
    6,
  );
  fc.assert(
    fc.property(fc.array(fc.tuple(name, value), { maxLength: 8 }), (pairs) => {
      let out: ReturnType<typeof rewriteRequestHeaders>;
      try {
        out = rewriteRequestHeaders(pairs.flat(), { host: null, websocket: false });
      } catch (err) {
        return isBadRequest(err);
      }
      return out.every(([n, v]) => n.toLowerCase() !== 'proxy-authorization' && !hasControl(n + v));
    }),
    RUNS,
  );
});

test('fuzz-host-pattern: a wildcard matches only strict subdomains on its port', () => {
  const pattern = parseHostPattern('*.victim.test:443', 443);
  const host = hostile(
    ['a', 'b', '.', '-', 'victim', 'test', 'evil', 'victim.test', 'victimxtest'],
    8,
  );
  fc.assert(
    fc.property(host, fc.constantFrom(443, 444, 80), (h, port) => {
      const matched = matchHost(pattern, h, port);
      const expected =
        port === 443 && h.endsWith('.victim.test') && h.length > '.victim.test'.length;
      return !matched || expected;
    }),
    RUNS,
  );
});

const PATH_PIECES = [
  '/',
  'repos',
  'acme',
  'admin',
  '.',
  '..',
  '%2e',
  '%2E',
  '%2e%2e',
  '%252e',
  '%2f',
  '%2F',
  '%5c',
  '\\',
  ';',
  '%3b',
  '%00',
  'a',
  '?',
  '#',
  '%',
  '%c0%ae',
  '//',
];

test('fuzz-path-normalisation: idempotent, and nothing outside /repos/acme/ matches /repos/acme/**', () => {
  const acme = parsePathPattern('/repos/acme/**');
  fc.assert(
    fc.property(hostile(PATH_PIECES, 14), (tail) => {
      const n = normalizePath(`/repos/acme/${tail}`);
      if (!n.ok) return typeof n.reason === 'string';
      const again = normalizePath(n.query === '' ? n.path : `${n.path}?${n.query}`);
      if (!again.ok || again.path !== n.path) return false;
      if (n.segments.some((s) => s === '..' || s === '.')) return false;
      if (matchPath(acme, n)) {
        // Whatever a server does with encoded slashes, dots or double encoding, it stays under acme.
        const decoded = n.path
          .replaceAll(/%25/gi, '%')
          .replaceAll(/%2e/gi, '.')
          .replaceAll(/%2f|%5c|\\/gi, '/');
        if (!n.path.startsWith('/repos/acme/')) return false;
        if (/\/\.\.?(\/|$)/.test(decoded.slice('/repos/acme'.length))) return false;
      }
      return true;
    }),
    RUNS,
  );
});

const SPEC_PIECES = [
  'github',
  'slack',
  ':',
  'GET',
  'POST',
  ',',
  '*',
  '/repos',
  '/acme',
  '/**',
  '/*',
  ' ',
  'DELETE',
];

function tryScope(text: string): Scope | null {
  try {
    return parseScope(text);
  } catch (err) {
    if (err instanceof AirlockError && err.code === 'ERR_INVALID_SCOPE') return null;
    throw err;
  }
}

test('fuzz-scope-specs: parse-format round trip, and an intersection never allows what either side forbids', () => {
  const spec = hostile(SPEC_PIECES, 10);
  const request = fc.record({
    service: fc.constantFrom('github', 'slack'),
    method: fc.constantFrom('GET', 'POST', 'DELETE'),
    path: fc.constantFrom('/repos/acme/x', '/repos/x', '/acme', '/', '/repos/acme'),
  });
  fc.assert(
    fc.property(spec, spec, request, (a, b, r) => {
      const sa = tryScope(a);
      const sb = tryScope(b);
      if (sa === null || sb === null) return true;
      const back = parseScope(formatScope(sa));
      if (!scopeContains(back, sa) || !scopeContains(sa, back)) return false;
      const both = intersectScope(sa, sb);
      const n = normalizePath(r.path);
      if (!n.ok) return false;
      const req = { service: r.service, method: r.method, path: n };
      if (scopeAllows(both, req) && !(scopeAllows(sa, req) && scopeAllows(sb, req))) return false;
      return scopeContains(sa, both) && scopeContains(sb, both);
    }),
    RUNS,
  );
});

const PH = `alk_ph_${'0123456789abcdefghjkmnpqrstvwxyz'}`;

test('fuzz-placeholder-substitution: any chunk split finds the same placeholders as the whole', () => {
  const body = hostile(['a', '"', ' ', 'alk_', 'alk_ph_', PH, `${PH}z`, '\n', 'é', '%', '0'], 12);
  fc.assert(
    fc.property(body, fc.array(fc.nat(200), { maxLength: 6 }), (text, cuts) => {
      const whole = Buffer.from(text);
      const expected = joinSegments(splitPlaceholders(whole), (p) => Buffer.from(`<${p.length}>`));
      const splitter = new PlaceholderSplitter();
      const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((x, y) => x - y);
      const segs = [];
      let at = 0;
      for (const p of [...points, whole.length]) {
        segs.push(...splitter.write(whole.subarray(at, p)));
        at = p;
      }
      segs.push(...splitter.end());
      return joinSegments(segs, (p) => Buffer.from(`<${p.length}>`)).equals(expected);
    }),
    RUNS,
  );
});

test('fuzz-response-scrub: a secret echoed in any common encoding, split anywhere, never survives', () => {
  const secret = 'ghp_fuzz_secret_value_0123456789';
  const rules = new ScrubRules(
    secretVariants(secret).map((v) => ({
      find: Buffer.from(v),
      replace: Buffer.from('[redacted]'),
    })),
  );
  const variant = fc.constantFrom(...secretVariants(secret));
  const filler = hostile(['a', ' ', '"', '\\', '%', '=', 'ghp_', '\n'], 6);
  fc.assert(
    fc.property(
      filler,
      variant,
      filler,
      fc.array(fc.nat(200), { maxLength: 5 }),
      (pre, v, post, cuts) => {
        const whole = Buffer.from(`${pre}${v}${post}`);
        const s = new StreamScrubber(rules);
        const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((x, y) => x - y);
        const out: Buffer[] = [];
        let at = 0;
        for (const p of [...points, whole.length]) {
          out.push(s.write(whole.subarray(at, p)));
          at = p;
        }
        out.push(s.end());
        const streamed = Buffer.concat(out);
        return streamed.equals(scrubBuffer(rules, whole)) && !streamed.toString().includes(v);
      },
    ),
    RUNS,
  );
});
