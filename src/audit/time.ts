import { AirlockError } from '../core/index.ts';

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** ISO-8601 date (`2030-01-01`) or date-time with a zone (`…T12:00:00Z`, `…+02:00`). */
const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Reads a point in time as the audit commands take it: a duration back from
 * `now` (`30d`, `12h`, `15m`, `45s`, `2w`), an ISO-8601 date or date-time
 * with a zone, or epoch milliseconds. Returns epoch milliseconds.
 * Throws `ERR_INVALID_ARGUMENT` naming `what`, never echoing the input.
 */
export function parseTime(text: string, now: number, what: string): number {
  const duration = /^(\d{1,6})([smhdw])$/.exec(text);
  if (duration !== null) {
    return now - Number(duration[1]) * (UNIT_MS[duration[2] as string] as number);
  }
  if (/^\d{1,16}$/.test(text)) return Number(text);
  if (ISO.test(text)) {
    const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
    if (Number.isFinite(ms)) return ms;
  }
  throw new AirlockError(
    'ERR_INVALID_ARGUMENT',
    `${what} must be a duration back from now (30d, 12h, 15m), an ISO-8601 time with a zone, or epoch milliseconds`,
  );
}

/** Epoch milliseconds as ISO-8601 UTC. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
