import { AirlockError } from '../core/index.ts';

const SECRET_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

/** Default cap on a secret value: 64 KiB. */
export const DEFAULT_MAX_SECRET_BYTES = 64 * 1024;

/** Checks a secret name against `^[A-Za-z][A-Za-z0-9_.-]{0,127}$`. */
export function assertSecretName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
    throw new AirlockError(
      'ERR_INVALID_NAME',
      'secret names start with a letter and hold up to 128 of A-Z a-z 0-9 _ . -',
    );
  }
}

/** Checks a secret value: non-empty and at most `maxBytes` (UTF-8 bytes). */
export function assertSecretValue(value: unknown, maxBytes: number): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new AirlockError('ERR_INVALID_ARGUMENT', 'a secret value must be a non-empty string');
  }
  if (Buffer.byteLength(value, 'utf8') > maxBytes) {
    throw new AirlockError(
      'ERR_VALUE_TOO_LARGE',
      `a secret value may be at most ${maxBytes} bytes`,
    );
  }
}
