/**
 * Canonical JSON after RFC 8785 (JCS) for the values audit events hold:
 * object keys sorted by UTF-16 code units, no insignificant whitespace,
 * strings and numbers serialised as ECMAScript's `JSON.stringify` does
 * (which is what RFC 8785 §3.2.2 specifies). The same event always gives
 * the same bytes, so its hash is stable across processes and versions.
 *
 * Object members whose value is `undefined` are left out, as
 * `JSON.stringify` does.
 *
 * @throws TypeError for values JSON cannot hold: non-finite numbers,
 *   bigints, functions, symbols, `undefined` array items, non-plain objects.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonical JSON has no non-finite numbers');
      return JSON.stringify(value);
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return canonicalArray(value);
      return canonicalObject(value);
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
}

function canonicalArray(items: readonly unknown[]): string {
  const parts: string[] = [];
  for (const item of items) {
    if (item === undefined) throw new TypeError('canonical JSON arrays cannot hold undefined');
    parts.push(canonicalJson(item));
  }
  return `[${parts.join(',')}]`;
}

function canonicalObject(value: object): string {
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new TypeError('canonical JSON holds only plain objects');
  }
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  // Array.prototype.sort compares UTF-16 code units: the order RFC 8785 §3.2.3 asks for.
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (item === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(item)}`);
  }
  return `{${parts.join(',')}}`;
}
