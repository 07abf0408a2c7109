import { AirlockError } from '../core/index.ts';

/** Reads a required string field from a parsed JSON body. */
export function stringField(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string') {
    throw new AirlockError('ERR_INVALID_ARGUMENT', `"${name}" must be a string`);
  }
  return value;
}

/** Reads an optional string field; absent or null gives null. */
export function optionalStringField(body: Record<string, unknown>, name: string): string | null {
  const value = body[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw new AirlockError('ERR_INVALID_ARGUMENT', `"${name}" must be a string`);
  }
  return value;
}

/** Refuses fields the route does not know, so a typo never silently widens or drops a setting. */
export function onlyFields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      throw new AirlockError('ERR_INVALID_ARGUMENT', `unknown field "${key.slice(0, 64)}"`);
    }
  }
}

const OBJECT_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/**
 * Checks the name of an agent or service: a letter, then up to 63 of
 * `A-Z a-z 0-9 _ . -`. Throws `ERR_INVALID_NAME`, naming `what` but never
 * echoing the input, which may be anything.
 */
export function assertObjectName(value: string, what: string): void {
  if (!OBJECT_NAME.test(value)) {
    throw new AirlockError(
      'ERR_INVALID_NAME',
      `${what} names start with a letter, then up to 63 of A-Z a-z 0-9 _ . -`,
    );
  }
}

/** Milliseconds since the epoch as an ISO-8601 string, or null. */
export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/**
 * "no agent named bot" when `name` is a well-formed name, else "no such
 * agent": input that is not a name is never echoed back.
 */
export function noSuch(what: string, name: string): string {
  return OBJECT_NAME.test(name) ? `no ${what} named ${name}` : `no such ${what}`;
}

/** A path parameter the route's pattern declares; its absence is a bug in the route table. */
export function pathParam(params: Readonly<Record<string, string>>, name: string): string {
  const value = params[name];
  if (value === undefined) throw new TypeError(`the route declares no :${name}`);
  return value;
}
