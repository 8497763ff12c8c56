import { ValidationError } from '@geo/domain';

/**
 * A numeric id from a path segment or body (`:id` of projects, sites…). Only plain positive decimal
 * integers within JavaScript's safe range are ids; anything else is a 400 naming the parameter
 * (GitLab: "id is invalid"), never a lookup with a half-parsed value.
 */
export function parseId(value: unknown, name: string): number {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^[1-9]\d{0,15}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new ValidationError(`${name} is invalid`, { details: { fieldErrors: { [name]: ['is invalid'] } } });
  }
  return Number(text);
}
