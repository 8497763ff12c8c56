import { ErrorCodes, type ErrorCode } from './codes';

/**
 * The one mapping from error code to HTTP status (the gateway's surface). Exhaustive by type, so a
 * new code cannot ship without a status. NuGet push clients read these as nuget.org documents them:
 * 400 invalid, 401 bad key, 404 no such package/project, 409 conflict, 413 too large.
 */
export const HTTP_STATUS_BY_ERROR_CODE: Readonly<Record<ErrorCode, number>> = {
  [ErrorCodes.CONFIG_INVALID]: 500,
  [ErrorCodes.SCHEMA_OUT_OF_DATE]: 503,
  [ErrorCodes.INVALID_ARGUMENT]: 400,
  [ErrorCodes.INVALID_BLOB_KEY]: 400,
  [ErrorCodes.TOO_LARGE]: 413,
  [ErrorCodes.UNAUTHENTICATED]: 401,
  [ErrorCodes.PERMISSION_DENIED]: 403,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.FILE_NOT_FOUND]: 404,
  [ErrorCodes.INVALID_TRANSITION]: 409,
  [ErrorCodes.ALREADY_EXISTS]: 409,
  [ErrorCodes.CONFLICT]: 409,
  // S3's BadDigest precedent: the body sent does not match the digest it was declared with.
  [ErrorCodes.CHECKSUM_MISMATCH]: 400,
  [ErrorCodes.UNAVAILABLE]: 503,
  [ErrorCodes.TIMEOUT]: 504,
  // nginx's "client closed request": nobody reads it, but logs and metrics stay truthful.
  [ErrorCodes.CANCELLED]: 499,
  [ErrorCodes.INTERNAL]: 500,
};

/** HTTP status for an error code. */
export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS_BY_ERROR_CODE[code];
}
