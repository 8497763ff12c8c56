import { ErrorCodes, GeoError, httpStatusFor, isGeoError, type ErrorCode } from '@geo/domain';

/**
 * The blob data plane between sites (ADR 0005): GitLab's `GET /api/v4/geo/retrieve/<name>/<id>`
 * over HTTP/1.1, served by the primary's blob-transfer app and called by the secondaries' workers.
 * Both ends import this module, so the path, headers and error body cannot drift apart.
 */
export const RETRIEVE_PATH_PREFIX = '/api/v4/geo/retrieve/';

/** GitLab serves every blob as `application/octet-stream` (spec §5.3). */
export const RETRIEVE_CONTENT_TYPE = 'application/octet-stream';

/** The primary's SHA-256 (lowercase hex) of the blob; absent when the primary has not verified it. */
export const CHECKSUM_HEADER = 'x-geo-checksum';
/** The blob's key in the primary's store (a secondary without the record still knows where to put it). */
export const BLOB_KEY_HEADER = 'x-geo-blob-key';

/** GitLab's `geo_code` for "the record exists, its file does not" (spec §5.3). */
export const FILE_NOT_FOUND_GEO_CODE = 'FILE_NOT_FOUND';

/** The path of one record's blob. */
export function retrievePath(replicableName: string, modelRecordId: number): string {
  return `${RETRIEVE_PATH_PREFIX}${encodeURIComponent(replicableName)}/${modelRecordId}`;
}

/** JSON body of an error answer: GitLab's `message` (and `geo_code`), plus our stable code. */
export interface RetrieveErrorBody {
  readonly message: string;
  readonly code: ErrorCode;
  readonly geo_code?: string;
}

/** The only message a caller sees for an unexpected failure; the real one goes to the primary's log. */
export const INTERNAL_ERROR_MESSAGE = '500 Internal Server Error';

/** Server side: the status and body for anything a retrieval threw (status from `httpStatusFor`). */
export function retrieveErrorReply(error: unknown): { readonly status: number; readonly body: RetrieveErrorBody } {
  if (!isGeoError(error)) return { status: 500, body: { message: INTERNAL_ERROR_MESSAGE, code: ErrorCodes.INTERNAL } };
  const internal = error.code === ErrorCodes.INTERNAL;
  return {
    status: httpStatusFor(error.code),
    body: {
      message: internal ? INTERNAL_ERROR_MESSAGE : error.message,
      code: error.code,
      ...(error.code === ErrorCodes.FILE_NOT_FOUND ? { geo_code: FILE_NOT_FOUND_GEO_CODE } : {}),
    },
  };
}

const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ErrorCodes));

/** Codes for answers without one of ours in the body (a proxy's page, an older primary). */
function codeForStatus(status: number): ErrorCode {
  if (status === 401) return ErrorCodes.UNAUTHENTICATED;
  if (status === 403) return ErrorCodes.PERMISSION_DENIED;
  if (status === 404) return ErrorCodes.NOT_FOUND;
  if (status === 413) return ErrorCodes.TOO_LARGE;
  if (status === 504) return ErrorCodes.TIMEOUT;
  if (status >= 500) return ErrorCodes.UNAVAILABLE;
  if (status >= 400) return ErrorCodes.INVALID_ARGUMENT;
  return ErrorCodes.INTERNAL;
}

/**
 * Client side: the `GeoError` for a non-2xx answer. `details.httpStatus` marks it as the primary's
 * answer (the download records GitLab's "Non-success HTTP response status code <status>"); a
 * `geo_code` of `FILE_NOT_FOUND` becomes that code (the 4-hour retry cap).
 */
export function errorFromRetrieveAnswer(status: number, bodyText: string): GeoError {
  let body: Partial<Record<keyof RetrieveErrorBody, unknown>> = {};
  try {
    const parsed: unknown = JSON.parse(bodyText);
    if (typeof parsed === 'object' && parsed !== null) body = parsed;
  } catch {
    // Not JSON (a proxy's error page): the status alone decides.
  }
  const geoCode = typeof body.geo_code === 'string' ? body.geo_code : undefined;
  const code: ErrorCode =
    geoCode === FILE_NOT_FOUND_GEO_CODE
      ? ErrorCodes.FILE_NOT_FOUND
      : typeof body.code === 'string' && KNOWN_CODES.has(body.code)
        ? (body.code as ErrorCode)
        : codeForStatus(status);
  const message = typeof body.message === 'string' ? body.message : `the primary answered HTTP ${status}`;
  return new GeoError(code, message, { details: { httpStatus: status, ...(geoCode === undefined ? {} : { geoCode }) }, retryable: status >= 500 });
}
