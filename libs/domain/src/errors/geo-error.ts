import { ErrorCodes, type ErrorCode } from './codes';

export interface GeoErrorOptions extends ErrorOptions {
  /** Extra structured facts for logs (never secrets). */
  readonly details?: Readonly<Record<string, unknown>>;
  /** Whether repeating the same operation later may succeed (maps to nak vs term, retry vs fail). */
  readonly retryable?: boolean;
}

/**
 * Base of every error this project raises on purpose. `name` identifies the class across module
 * copies (never rely on `instanceof` across bundles; use `isGeoError`), `code` is stable.
 */
export class GeoError extends Error {
  override readonly name: string = 'GeoError';
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: GeoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
    this.retryable = options.retryable ?? false;
  }
}

export function isGeoError(value: unknown): value is GeoError {
  if (value instanceof GeoError) return true;
  if (!(value instanceof Error)) return false;
  const code: unknown = (value as Error & { code?: unknown }).code;
  return typeof code === 'string' && /^GEO_[A-Z]\d{4}$/.test(code);
}

export class ValidationError extends GeoError {
  override readonly name = 'ValidationError';
  constructor(message: string, options?: GeoErrorOptions, code: ErrorCode = ErrorCodes.INVALID_ARGUMENT) {
    super(code, message, options);
  }
}

export class InvalidTransitionError extends GeoError {
  override readonly name = 'InvalidTransitionError';
  constructor(machine: string, event: string, from: string) {
    super(ErrorCodes.INVALID_TRANSITION, `${machine}: cannot ${event} from ${from}`, {
      details: { machine, event, from },
    });
  }
}

export class NotFoundError extends GeoError {
  override readonly name = 'NotFoundError';
  constructor(message: string, options?: GeoErrorOptions, code: ErrorCode = ErrorCodes.NOT_FOUND) {
    super(code, message, options);
  }
}

export class UnauthenticatedError extends GeoError {
  override readonly name = 'UnauthenticatedError';
  constructor(message: string, options?: GeoErrorOptions) {
    super(ErrorCodes.UNAUTHENTICATED, message, options);
  }
}

export class UnavailableError extends GeoError {
  override readonly name = 'UnavailableError';
  constructor(message: string, options?: GeoErrorOptions) {
    super(ErrorCodes.UNAVAILABLE, message, { retryable: true, ...options });
  }
}

export class ConfigError extends GeoError {
  override readonly name = 'ConfigError';
  constructor(message: string, options?: GeoErrorOptions) {
    super(ErrorCodes.CONFIG_INVALID, message, options);
  }
}
