import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  ConfigError,
  ErrorCodes,
  GeoError,
  NotFoundError,
  UnauthenticatedError,
  UnavailableError,
  ValidationError,
  isGeoError,
  type ErrorCode,
} from '@geo/domain';

/** Trailing-metadata key carrying the stable `GEO_*` code of a failed call. */
export const GEO_ERROR_CODE_METADATA_KEY = 'geo-error-code';
/**
 * Trailing-metadata key mirroring GitLab's JSON `geo_code` field. Set to `FILE_NOT_FOUND` when a
 * record exists but its blob is missing, so secondaries apply the 4-hour backoff cap (spec §5.3/§5.4).
 */
export const GEO_CODE_METADATA_KEY = 'geo_code';
/** Value of {@link GEO_CODE_METADATA_KEY} for a record whose blob is missing on the primary. */
export const GEO_CODE_FILE_NOT_FOUND = 'FILE_NOT_FOUND';

/** What a handler sends when it fails: a status code, a client-safe message and trailing metadata. */
export interface GrpcErrorStatus {
  readonly code: GrpcStatus;
  readonly details: string;
  readonly metadata: Metadata;
}

/**
 * The one table from stable error codes to wire statuses. A `Record` over every `ErrorCode`, so adding
 * a code does not compile until it is mapped here.
 */
export const GRPC_STATUS_BY_ERROR_CODE: Readonly<Record<ErrorCode, GrpcStatus>> = {
  [ErrorCodes.CONFIG_INVALID]: GrpcStatus.FAILED_PRECONDITION,
  [ErrorCodes.SCHEMA_OUT_OF_DATE]: GrpcStatus.FAILED_PRECONDITION,
  [ErrorCodes.INVALID_ARGUMENT]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCodes.INVALID_BLOB_KEY]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCodes.TOO_LARGE]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCodes.UNAUTHENTICATED]: GrpcStatus.UNAUTHENTICATED,
  [ErrorCodes.PERMISSION_DENIED]: GrpcStatus.PERMISSION_DENIED,
  [ErrorCodes.NOT_FOUND]: GrpcStatus.NOT_FOUND,
  [ErrorCodes.FILE_NOT_FOUND]: GrpcStatus.NOT_FOUND,
  [ErrorCodes.INVALID_TRANSITION]: GrpcStatus.FAILED_PRECONDITION,
  [ErrorCodes.ALREADY_EXISTS]: GrpcStatus.ALREADY_EXISTS,
  // A lost compare-and-set: the caller may retry the whole read-modify-write (gRPC's ABORTED contract).
  [ErrorCodes.CONFLICT]: GrpcStatus.ABORTED,
  // Received bytes did not match the expected size or SHA-256: gRPC's "unrecoverable data loss or corruption".
  [ErrorCodes.CHECKSUM_MISMATCH]: GrpcStatus.DATA_LOSS,
  [ErrorCodes.UNAVAILABLE]: GrpcStatus.UNAVAILABLE,
  [ErrorCodes.TIMEOUT]: GrpcStatus.DEADLINE_EXCEEDED,
  [ErrorCodes.CANCELLED]: GrpcStatus.CANCELLED,
  [ErrorCodes.INTERNAL]: GrpcStatus.INTERNAL,
};

/** The only message a client sees for a bug or an unexpected error; the real one goes to the log. */
export const INTERNAL_ERROR_DETAILS = 'Internal error';

/**
 * Turns anything a handler threw into the status sent to the client. `GeoError`s keep their message
 * (they are written for callers); INTERNAL-coded and unknown errors are reduced to
 * {@link INTERNAL_ERROR_DETAILS} so stack traces, SQL and paths never leave the process.
 */
export function toGrpcStatus(err: unknown): GrpcErrorStatus {
  const metadata = new Metadata();
  const code: ErrorCode = isGeoError(err) ? err.code : ErrorCodes.INTERNAL;
  metadata.set(GEO_ERROR_CODE_METADATA_KEY, code);
  if (code === ErrorCodes.FILE_NOT_FOUND) metadata.set(GEO_CODE_METADATA_KEY, GEO_CODE_FILE_NOT_FOUND);
  const details = isGeoError(err) && code !== ErrorCodes.INTERNAL ? err.message : INTERNAL_ERROR_DETAILS;
  return { code: GRPC_STATUS_BY_ERROR_CODE[code], details, metadata };
}

/** Inverse fallback for peers that sent no `geo-error-code` (e.g. transport failures, other servers). */
const ERROR_CODE_BY_GRPC_STATUS: Readonly<Partial<Record<GrpcStatus, ErrorCode>>> = {
  [GrpcStatus.INVALID_ARGUMENT]: ErrorCodes.INVALID_ARGUMENT,
  [GrpcStatus.OUT_OF_RANGE]: ErrorCodes.INVALID_ARGUMENT,
  [GrpcStatus.UNAUTHENTICATED]: ErrorCodes.UNAUTHENTICATED,
  [GrpcStatus.PERMISSION_DENIED]: ErrorCodes.PERMISSION_DENIED,
  [GrpcStatus.NOT_FOUND]: ErrorCodes.NOT_FOUND,
  [GrpcStatus.ALREADY_EXISTS]: ErrorCodes.ALREADY_EXISTS,
  [GrpcStatus.FAILED_PRECONDITION]: ErrorCodes.INVALID_TRANSITION,
  [GrpcStatus.ABORTED]: ErrorCodes.CONFLICT,
  [GrpcStatus.UNAVAILABLE]: ErrorCodes.UNAVAILABLE,
  [GrpcStatus.RESOURCE_EXHAUSTED]: ErrorCodes.UNAVAILABLE,
  [GrpcStatus.CANCELLED]: ErrorCodes.UNAVAILABLE,
  [GrpcStatus.DEADLINE_EXCEEDED]: ErrorCodes.TIMEOUT,
};

const KNOWN_ERROR_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number' && 'metadata' in err;
}

function codeFromMetadata(metadata: Metadata): ErrorCode | undefined {
  const [value] = metadata.get(GEO_ERROR_CODE_METADATA_KEY);
  return typeof value === 'string' && KNOWN_ERROR_CODES.has(value) ? (value as ErrorCode) : undefined;
}

/**
 * Client side: turns a failed call into the `GeoError` the server raised (same code and message, so
 * callers switch on `code` as if the call were local). The original `ServiceError` is the `cause`.
 * Transport-level failures (UNAVAILABLE, DEADLINE_EXCEEDED, …) become retryable errors.
 */
export function fromGrpcError(err: unknown): GeoError {
  if (!isServiceError(err)) {
    if (isGeoError(err)) return err;
    return new GeoError(ErrorCodes.INTERNAL, err instanceof Error ? err.message : String(err), { cause: err });
  }
  const grpcCode = err.code;
  const code = codeFromMetadata(err.metadata) ?? ERROR_CODE_BY_GRPC_STATUS[grpcCode] ?? ErrorCodes.INTERNAL;
  const message = err.details || err.message;
  const options = { cause: err, details: { grpcCode } };
  switch (code) {
    case ErrorCodes.NOT_FOUND:
    case ErrorCodes.FILE_NOT_FOUND:
      return new NotFoundError(message, options, code);
    case ErrorCodes.INVALID_ARGUMENT:
    case ErrorCodes.INVALID_BLOB_KEY:
    case ErrorCodes.TOO_LARGE:
      return new ValidationError(message, options, code);
    case ErrorCodes.UNAUTHENTICATED:
      return new UnauthenticatedError(message, options);
    case ErrorCodes.UNAVAILABLE:
      return new UnavailableError(message, options);
    case ErrorCodes.CONFIG_INVALID:
      return new ConfigError(message, options);
    case ErrorCodes.TIMEOUT:
      return new GeoError(code, message, { ...options, retryable: true });
    case ErrorCodes.SCHEMA_OUT_OF_DATE:
    case ErrorCodes.PERMISSION_DENIED:
    case ErrorCodes.INVALID_TRANSITION:
    case ErrorCodes.ALREADY_EXISTS:
    case ErrorCodes.CONFLICT:
    case ErrorCodes.CHECKSUM_MISMATCH:
    case ErrorCodes.CANCELLED:
    case ErrorCodes.INTERNAL:
      return new GeoError(code, message, options);
  }
}
