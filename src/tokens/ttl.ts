import { AirlockError } from '../core/index.ts';

const DURATION = /^(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,9})s?)?$/;

/**
 * Reads a token lifetime in seconds: a positive integer of seconds, or a
 * duration such as `90s`, `15m`, `1h30m`, `2d`. Absent or null is null
 * (the caller's default). Capping is the caller's: this only parses.
 * Throws `AirlockError('ERR_INVALID_ARGUMENT')` naming `field`.
 */
export function parseTtl(value: unknown, field = 'ttl'): number | null {
  if (value === undefined || value === null) return null;
  let seconds = Number.NaN;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && value !== '') {
    const m = DURATION.exec(value);
    if (m !== null) {
      const [d, h, min, s] = m.slice(1).map((x) => (x === undefined ? 0 : Number(x)));
      seconds = (d ?? 0) * 86_400 + (h ?? 0) * 3600 + (min ?? 0) * 60 + (s ?? 0);
    }
  }
  if (!Number.isSafeInteger(seconds) || seconds <= 0) {
    throw new AirlockError(
      'ERR_INVALID_ARGUMENT',
      `${field} must be a positive number of seconds or a duration like 15m, 1h30m`,
    );
  }
  return seconds;
}
