// Summarises a V8 `.cpuprofile` (from `npm run bench -- --profile`): the
// functions with the most self time, and with the most total time (self
// plus callees). Usage: node bench/profile-summary.ts FILE [TOP]
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function label(n: ProfileNode): string {
  const f = n.callFrame;
  const file = f.url
    .replace(/^file:\/\/.*?\/(src|bench|node_modules)\//, '$1/')
    .replace(/^node:/, 'node:');
  return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`;
}

/** Self and total microseconds per function label, and the profile's busy time. */
export function summarise(profile: CpuProfile): {
  self: Map<string, number>;
  total: Map<string, number>;
  categories: Map<string, number>;
  busyUs: number;
  allUs: number;
} {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const self = new Map<string, number>();
  const categories = new Map<string, number>();
  const total = new Map<string, number>();
  let busyUs = 0;
  let allUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    allUs += us;
    if (node.callFrame.functionName === '(idle)') continue;
    busyUs += us;
    const l = label(node);
    self.set(l, (self.get(l) ?? 0) + us);
    // A native frame (no script) or a Buffer helper belongs with the code
    // that called it: Buffer.indexOf called by the scrubber is scrubbing.
    let owner: ProfileNode = node;
    for (let up = parent.get(owner.id); ; up = parent.get(owner.id)) {
      const transparent = owner.callFrame.url === '' || owner.callFrame.url === 'node:buffer';
      if (!transparent || isOwnKind(owner) || up === undefined) break;
      const next = byId.get(up);
      if (next === undefined) break;
      owner = next;
    }
    const c = category(owner);
    categories.set(c, (categories.get(c) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur);
      if (n === undefined) break;
      const nl = label(n);
      if (seen.has(nl)) continue;
      seen.add(nl);
      total.set(nl, (total.get(nl) ?? 0) + us);
    }
  }
  return { self, total, categories, busyUs, allUs };
}

const SCRUB =
  /src\/proxy\/(scrub|response-body|request-body|placeholders?|substitute|encodings)\.ts/;

/** Native frames that are a kind of their own, whoever called them. */
function isOwnKind(n: ProfileNode): boolean {
  const fn = n.callFrame.functionName;
  return fn === '(garbage collector)' || fn === '(program)' || fn === '(root)' || WRITES.test(fn);
}

const WRITES = /^write(v|Buffer|Latin1String|Utf8String|AsciiString|Ucs2String)$/;

/** Where a sampled function belongs, for a coarse breakdown of the busy time. */
function category(n: ProfileNode): string {
  const { functionName: fn, url } = n.callFrame;
  if (fn === '(garbage collector)') return 'garbage collection';
  if (WRITES.test(fn)) return 'socket writes (TLS encryption + syscall + being preempted there)';
  if (/src\/(audit|store)\//.test(url) || fn === 'signOneShot')
    return 'audit log (building, signing, SQLite commit)';
  if (SCRUB.test(url)) return 'src/proxy: response scrub and placeholder substitution';
  if (/src\/(proxy|policy)\//.test(url)) return 'src/proxy and src/policy (the rest)';
  if (/\/src\//.test(url)) return 'other Airlock code';
  if (/modules|amaro|wasm|bootstrap/.test(url) || url.startsWith('wasm')) return 'startup';
  if (url.startsWith('node:')) return 'Node internals in JS (http, streams, events, tls)';
  return 'native, other';
}

function top(map: Map<string, number>, busy: number, n: number): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(
      ([k, v]) =>
        `${((100 * v) / busy).toFixed(1).padStart(5)}%  ${(v / 1000).toFixed(0).padStart(7)} ms  ${k}`,
    )
    .join('\n');
}

const file = process.argv[2];
if (file !== undefined) {
  const n = Number(process.argv[3] ?? 30);
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const s = summarise(profile);
  process.stdout.write(
    `busy ${(s.busyUs / 1000).toFixed(0)} ms of ${(s.allUs / 1000).toFixed(0)} ms sampled\n\n` +
      `by kind:\n${top(s.categories, s.busyUs, 20)}\n\nself time:\n${top(s.self, s.busyUs, n)}\n\ntotal time:\n${top(s.total, s.busyUs, n)}\n`,
  );
}
