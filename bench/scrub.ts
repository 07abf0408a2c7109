// Response scrubbing benchmarks (not a test): what scrubbing costs per
// byte, with 1 and 10 secrets, against a pass-through; what decoding a
// gzip response the upstream compressed anyway adds; and how many more
// bytes the upstream leg carries when the proxy asks for `identity`.
// Usage: node bench/scrub.ts [--mib N]
// Figures are recorded in docs/scrubbing.md.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { secretVariants } from '../src/proxy/encodings.ts';
import { ScrubRules, StreamScrubber } from '../src/proxy/scrub.ts';

const { values } = parseArgs({ options: { mib: { type: 'string', default: '64' } } });
const MIB = Number(values.mib);
const CHUNK = 16 * 1024;

/** JSON-lines text like an API's answers: keys, ids, prose. */
function corpus(bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${JSON.stringify({
      id: `item_${i}`,
      sha: randomBytes(20).toString('hex'),
      title: 'Scrubbing responses for secrets the task can use',
      body: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.',
      url: `https://api.example.com/v1/items/${i}?page=${i % 7}`,
    })}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

function rules(secrets: number): ScrubRules {
  const out = [];
  for (let i = 0; i < secrets; i++) {
    const value = `sk-live-${randomBytes(24).toString('base64url')}`;
    const replace = Buffer.from(`alk_ph_${'a'.repeat(32)}`);
    for (const v of secretVariants(value)) out.push({ find: Buffer.from(v), replace });
  }
  return new ScrubRules(out);
}

function mibPerSecond(bytes: number, ms: number): string {
  return ((bytes / 1024 / 1024) * (1000 / ms)).toFixed(0);
}

function timeStream(data: Buffer, make: () => (chunk: Buffer) => Buffer): number {
  const step = make();
  const t0 = performance.now();
  let out = 0;
  for (let at = 0; at < data.length; at += CHUNK) out += step(data.subarray(at, at + CHUNK)).length;
  const ms = performance.now() - t0;
  if (out === 0) throw new Error('nothing came out');
  return ms;
}

const data = corpus(MIB * 1024 * 1024);
const copy = timeStream(data, () => (c) => Buffer.from(c));
console.log(`pass-through copy: ${mibPerSecond(data.length, copy)} MiB/s`);
for (const n of [1, 10]) {
  const r = rules(n);
  // Warm up once, then measure.
  timeStream(data.subarray(0, 4 * 1024 * 1024), () => {
    const s = new StreamScrubber(r);
    return (c) => s.write(c);
  });
  const ms = timeStream(data, () => {
    const s = new StreamScrubber(r);
    return (c) => s.write(c);
  });
  console.log(
    `scrub, ${n} secret(s), ${r.rules.length} patterns: ${mibPerSecond(data.length, ms)} MiB/s`,
  );
}

const sample = data.subarray(0, 1024 * 1024);
const gz = gzipSync(sample);
const runs = 50;
const t0 = performance.now();
for (let i = 0; i < runs; i++) gunzipSync(gz);
const gunzipMs = (performance.now() - t0) / runs;
console.log(
  `gzip: 1 MiB of JSON is ${(gz.length / 1024).toFixed(0)} KiB compressed (${((gz.length / sample.length) * 100).toFixed(1)}%);` +
    ` decoding it takes ${gunzipMs.toFixed(2)} ms (${mibPerSecond(sample.length, gunzipMs)} MiB/s)`,
);
