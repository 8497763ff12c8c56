import { ErrorCodes } from './codes';
import { HTTP_STATUS_BY_ERROR_CODE, httpStatusFor } from './http-status';

/** The expected HTTP status of every stable code; a new ErrorCode makes the completeness test fail. */
const EXPECTED: ReadonlyArray<[keyof typeof ErrorCodes, number]> = [
  ['CONFIG_INVALID', 500],
  ['SCHEMA_OUT_OF_DATE', 503],
  ['INVALID_ARGUMENT', 400],
  ['INVALID_BLOB_KEY', 400],
  ['TOO_LARGE', 413],
  ['UNAUTHENTICATED', 401],
  ['PERMISSION_DENIED', 403],
  ['NOT_FOUND', 404],
  ['FILE_NOT_FOUND', 404],
  ['INVALID_TRANSITION', 409],
  ['ALREADY_EXISTS', 409],
  ['CONFLICT', 409],
  ['CHECKSUM_MISMATCH', 400],
  ['UNAVAILABLE', 503],
  ['TIMEOUT', 504],
  ['CANCELLED', 499],
  ['INTERNAL', 500],
];

describe('HTTP status mapping', () => {
  it('covers every ErrorCode', () => {
    expect(EXPECTED.map(([name]) => name).sort()).toEqual(Object.keys(ErrorCodes).sort());
    expect(Object.keys(HTTP_STATUS_BY_ERROR_CODE).sort()).toEqual(Object.values(ErrorCodes).sort());
  });

  it.each(EXPECTED)('maps %s to %i', (name, status) => {
    expect(httpStatusFor(ErrorCodes[name])).toBe(status);
  });
});
