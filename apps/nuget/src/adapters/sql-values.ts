import { ErrorCodes, GeoError } from '@geo/domain';

/**
 * node-postgres returns bigint columns as strings. Ids stay exact as JS numbers up to 2^53, far
 * beyond any table here; anything else is a broken invariant, not a user error.
 */
export function toId(value: string | number, column: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new GeoError(ErrorCodes.INTERNAL, `${column} ${String(value)} is not a safe integer id`);
  return n;
}

/** A nullable id column the service always fills; NULL means the row was not written by us. */
export function requiredId(value: string | number | null, column: string): number {
  if (value === null) throw new GeoError(ErrorCodes.INTERNAL, `${column} is NULL where the nuget service always sets it`);
  return toId(value, column);
}
