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
