import { ErrorCodes, GeoError, isGeoError, UnavailableError, ValidationError } from '@geo/domain';

/** SQLSTATE codes this adapter gives a meaning to (PostgreSQL Appendix A). */
export const PgErrorCodes = {
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  CHECK_VIOLATION: '23514',
  NOT_NULL_VIOLATION: '23502',
  SERIALIZATION_FAILURE: '40001',
  DEADLOCK_DETECTED: '40P01',
  QUERY_CANCELED: '57014',
  ADMIN_SHUTDOWN: '57P01',
  CRASH_SHUTDOWN: '57P02',
  CANNOT_CONNECT_NOW: '57P03',
  TOO_MANY_CONNECTIONS: '53300',
} as const;

/** Socket-level failures: the server is not reachable right now, so a retry may succeed. */
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH']);

const UNAVAILABLE_SQLSTATES = new Set<string>([
  PgErrorCodes.ADMIN_SHUTDOWN,
  PgErrorCodes.CRASH_SHUTDOWN,
  PgErrorCodes.CANNOT_CONNECT_NOW,
  PgErrorCodes.TOO_MANY_CONNECTIONS,
]);

function stringProp(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v: unknown = (value as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

/** The SQLSTATE of a pg `DatabaseError`, if `error` is one. */
export function sqlState(error: unknown): string | undefined {
  const code = stringProp(error, 'code');
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function isConnectionFailure(error: unknown): boolean {
  const code = stringProp(error, 'code');
  if (code !== undefined && NETWORK_ERRNOS.has(code)) return true;
  // An AggregateError (IPv4 + IPv6 attempts) carries the per-address errors in `errors`.
  if (error instanceof AggregateError) return error.errors.some(isConnectionFailure);
  const message = error instanceof Error ? error.message : '';
  // node-postgres raises plain Errors for these, without a code.
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message);
}

/**
 * Turns anything a pg call threw into a `GeoError`, so callers switch on `code` and `retryable`
 * instead of SQLSTATEs. GeoErrors pass through unchanged; unknown failures become INTERNAL.
 * `context` names the operation for the message (e.g. `insert packages_nuget_symbol_registry`).
 */
export function mapPgError(error: unknown, context: string): GeoError {
  if (isGeoError(error)) return error;
  const state = sqlState(error);
  const constraint = stringProp(error, 'constraint');
  const detail = stringProp(error, 'detail');
  const message = error instanceof Error ? error.message : String(error);
  const details = { context, sqlState: state, constraint, detail };
  switch (state ?? '') {
    case PgErrorCodes.UNIQUE_VIOLATION:
      return new GeoError(ErrorCodes.ALREADY_EXISTS, `${context}: already exists (${constraint ?? message})`, { cause: error, details });
    case PgErrorCodes.FOREIGN_KEY_VIOLATION:
    case PgErrorCodes.CHECK_VIOLATION:
    case PgErrorCodes.NOT_NULL_VIOLATION:
      return new ValidationError(`${context}: ${message}`, { cause: error, details });
    case PgErrorCodes.SERIALIZATION_FAILURE:
    case PgErrorCodes.DEADLOCK_DETECTED:
      return new GeoError(ErrorCodes.CONFLICT, `${context}: ${message}`, { cause: error, details, retryable: true });
    case PgErrorCodes.QUERY_CANCELED:
      return new GeoError(ErrorCodes.TIMEOUT, `${context}: ${message}`, { cause: error, details, retryable: true });
    default:
      // Every other SQLSTATE (and '' for errors that are not from the server) is classified below.
      break;
  }
  if ((state !== undefined && (UNAVAILABLE_SQLSTATES.has(state) || state.startsWith('08'))) || isConnectionFailure(error)) {
    return new UnavailableError(`${context}: PostgreSQL unavailable: ${message}`, { cause: error, details });
  }
  return new GeoError(ErrorCodes.INTERNAL, `${context}: ${message}`, { cause: error, details });
}

/** Runs `fn` and rethrows any failure through `mapPgError`. */
export async function mappingPgErrors<T>(context: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw mapPgError(error, context);
  }
}
