import { createHmac } from 'node:crypto';
import { assignmentsOf, isSecretKey, looksLikeSecretValue } from './assign.ts';
import { entropy, isDocumentedExample, TOKEN_RULES } from './rules.ts';
import type { FileKind, Finding, FingerprintSet } from './types.ts';

interface Hit {
  readonly rule: string;
  readonly title: string;
  readonly severity: 'error' | 'warning';
  readonly start: number;
  readonly end: number;
  readonly keep: number;
  readonly secret: string | null;
}

const MAX_EXCERPT = 160;
const STRUCTURED: ReadonlySet<FileKind> = new Set(['env', 'profile', 'json', 'yaml', 'ci']);

/** `ghp_` + asterisks: the public prefix and nothing of the rest. */
function mask(value: string, keep: number): string {
  return `${value.slice(0, keep)}${'*'.repeat(Math.min(Math.max(value.length - keep, 4), 12))}`;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineOf(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function overlaps(hits: readonly Hit[], start: number, end: number): boolean {
  return hits.some((h) => start < h.end && end > h.start);
}

function tokenHits(text: string): Hit[] {
  const hits: Hit[] = [];
  for (const rule of TOKEN_RULES) {
    rule.pattern.lastIndex = 0;
    for (let m = rule.pattern.exec(text); m !== null; m = rule.pattern.exec(text)) {
      const value = m[1] ?? m[0];
      const start = m.index + m[0].indexOf(value);
      const end = start + value.length;
      if (isDocumentedExample(value) || entropy(value.slice(rule.keep)) < rule.minEntropy) continue;
      if (overlaps(hits, start, end)) continue;
      const keep = rule.id === 'private-key' ? value.indexOf('-----', 5) + 5 : rule.keep;
      hits.push({
        rule: rule.id,
        title: rule.title,
        severity: 'error',
        start,
        end,
        keep,
        secret: null,
      });
    }
  }
  return hits;
}

/** Candidate substrings to fingerprint: whitespace- and punctuation-separated tokens, and assigned values. */
function candidates(line: string): { value: string; column: number }[] {
  const out: { value: string; column: number }[] = [];
  const re = /[^\s"'`=:,;(){}[\]<>]+/g;
  for (let m = re.exec(line); m !== null; m = re.exec(line))
    out.push({ value: m[0], column: m.index });
  for (const a of assignmentsOf(line)) out.push({ value: a.value, column: a.column });
  return out;
}

/**
 * Scans one file's text. Token shapes apply everywhere; `KEY=value`-style
 * assignments of credential-named keys, and URLs with a password, apply to
 * dotenv files, shell profiles, JSON, YAML and CI files; fingerprints, when
 * given, find any value Airlock holds (compared by keyed hash only).
 * Findings carry masked excerpts, never a value.
 */
export function scanText(
  text: string,
  path: string,
  kind: FileKind,
  fingerprints: FingerprintSet | null,
): Finding[] {
  const starts = lineStarts(text);
  const hits = tokenHits(text);
  const lines = text.split('\n');
  const lengths = new Set(fingerprints?.fingerprints.map((f) => f.length) ?? []);
  lines.forEach((line, i) => {
    const base = starts[i] ?? 0;
    if (STRUCTURED.has(kind)) {
      for (const a of assignmentsOf(line)) {
        const start = base + a.column;
        const end = start + a.value.length;
        if (!isSecretKey(a.key) || !looksLikeSecretValue(a.value)) continue;
        if (isDocumentedExample(a.value) || overlaps(hits, start, end)) continue;
        hits.push({
          rule: 'generic-assignment',
          title: `Plaintext credential in ${a.key.slice(0, 64)}`,
          severity: 'warning',
          start,
          end,
          keep: 0,
          secret: null,
        });
      }
      const url = /[a-z][a-z0-9+.-]*:\/\/[^\s:@/"']+:([^\s@/"']{3,})@/gi;
      for (let m = url.exec(line); m !== null; m = url.exec(line)) {
        const pass = m[1] ?? '';
        const start = base + m.index + m[0].length - pass.length - 1;
        if (!looksLikeSecretValue(pass.padEnd(8, pass)) || /^\$|\{/.test(pass)) continue;
        if (overlaps(hits, start, start + pass.length)) continue;
        hits.push({
          rule: 'url-credentials',
          title: 'Password in a URL',
          severity: 'warning',
          start,
          end: start + pass.length,
          keep: 0,
          secret: null,
        });
      }
    }
    if (fingerprints !== null && lengths.size > 0) {
      for (const c of candidates(line)) {
        const size = Buffer.byteLength(c.value, 'utf8');
        if (!lengths.has(size)) continue;
        const hmac = createHmac('sha256', fingerprints.key).update(c.value, 'utf8').digest('hex');
        const match = fingerprints.fingerprints.find((f) => f.length === size && f.hmac === hmac);
        if (match === undefined) continue;
        const start = base + c.column;
        const end = start + c.value.length;
        // A stored value outranks a shape or an assignment found at the same place.
        for (let j = hits.length - 1; j >= 0; j--) {
          const h = hits[j];
          if (h !== undefined && start < h.end && end > h.start) hits.splice(j, 1);
        }
        hits.push({
          rule: 'airlock-secret',
          title: `The value of Airlock secret ${match.name}`,
          severity: 'error',
          start,
          end,
          keep: 0,
          secret: match.name,
        });
      }
    }
  });
  return toFindings(text, path, starts, hits);
}

function toFindings(text: string, path: string, starts: readonly number[], hits: Hit[]): Finding[] {
  hits.sort((a, b) => a.start - b.start);
  return hits.map((h) => {
    const line = lineOf(starts, h.start);
    const lineStart = starts[line] ?? 0;
    const lineEnd =
      text.indexOf('\n', lineStart) === -1 ? text.length : text.indexOf('\n', lineStart);
    // Mask every hit that touches this line, then cut the excerpt around this one.
    let excerpt = '';
    let at = lineStart;
    for (const o of hits) {
      if (o.end <= lineStart || o.start >= lineEnd) continue;
      const s = Math.max(o.start, lineStart);
      excerpt +=
        text.slice(at, s) + mask(text.slice(o.start, o.end), o.start >= lineStart ? o.keep : 0);
      at = Math.min(o.end, lineEnd);
    }
    excerpt += text.slice(at, lineEnd);
    excerpt = excerpt.trim();
    if (excerpt.length > MAX_EXCERPT) excerpt = `${excerpt.slice(0, MAX_EXCERPT - 1)}…`;
    return {
      rule: h.rule,
      title: h.title,
      severity: h.severity,
      path,
      line: line + 1,
      column: h.start - lineStart + 1,
      excerpt,
      secret: h.secret,
    };
  });
}
