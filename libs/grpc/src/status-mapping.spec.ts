import { Metadata, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ErrorCodes, GeoError, NotFoundError, UnavailableError, type ErrorCode } from '@geo/domain';
import {
  fromGrpcError,
  GEO_CODE_METADATA_KEY,
  GEO_ERROR_CODE_METADATA_KEY,
  INTERNAL_ERROR_DETAILS,
  toGrpcStatus,
} from './status-mapping';

/** The expected wire status of every stable code; a new ErrorCode makes the completeness test fail. */
const EXPECTED: ReadonlyArray<[keyof typeof ErrorCodes, GrpcStatus]> = [
  ['CONFIG_INVALID', GrpcStatus.FAILED_PRECONDITION],
  ['SCHEMA_OUT_OF_DATE', GrpcStatus.FAILED_PRECONDITION],
  ['INVALID_ARGUMENT', GrpcStatus.INVALID_ARGUMENT],
  ['INVALID_BLOB_KEY', GrpcStatus.INVALID_ARGUMENT],
  ['TOO_LARGE', GrpcStatus.INVALID_ARGUMENT],
  ['UNAUTHENTICATED', GrpcStatus.UNAUTHENTICATED],
  ['PERMISSION_DENIED', GrpcStatus.PERMISSION_DENIED],
  ['NOT_FOUND', GrpcStatus.NOT_FOUND],
  ['FILE_NOT_FOUND', GrpcStatus.NOT_FOUND],
  ['INVALID_TRANSITION', GrpcStatus.FAILED_PRECONDITION],
  ['ALREADY_EXISTS', GrpcStatus.ALREADY_EXISTS],
  ['CONFLICT', GrpcStatus.ABORTED],
  ['CHECKSUM_MISMATCH', GrpcStatus.DATA_LOSS],
  ['UNAVAILABLE', GrpcStatus.UNAVAILABLE],
  ['TIMEOUT', GrpcStatus.DEADLINE_EXCEEDED],
  ['CANCELLED', GrpcStatus.CANCELLED],
  ['INTERNAL', GrpcStatus.INTERNAL],
];

/** What a grpc-js client receives for a status the server sent. */
function serviceErrorFrom(status: { code: GrpcStatus; details: string; metadata: Metadata }): ServiceError {
  return Object.assign(new Error(`${status.code} ${GrpcStatus[status.code]}: ${status.details}`), status);
}

describe('toGrpcStatus', () => {
  it('covers every ErrorCode', () => {
    expect(EXPECTED.map(([name]) => name).sort()).toEqual(Object.keys(ErrorCodes).sort());
  });

  it.each(EXPECTED)('maps %s to gRPC status %s and carries the stable code', (name, grpcCode) => {
    const code: ErrorCode = ErrorCodes[name];
    const status = toGrpcStatus(new GeoError(code, 'boom for the caller'));
    expect(status.code).toBe(grpcCode);
    expect(status.metadata.get(GEO_ERROR_CODE_METADATA_KEY)).toEqual([code]);
    expect(status.details).toBe(code === ErrorCodes.INTERNAL ? INTERNAL_ERROR_DETAILS : 'boom for the caller');
    expect(status.metadata.get(GEO_CODE_METADATA_KEY)).toEqual(code === ErrorCodes.FILE_NOT_FOUND ? ['FILE_NOT_FOUND'] : []);
  });

  it.each([
    ['a plain Error', new Error('connection to 10.0.0.5 failed: password=hunter2')],
    ['a string', 'SELECT * FROM secrets'],
    ['undefined', undefined],
    ['an error with a non-Geo code', Object.assign(new Error('ECONNRESET at /srv/x'), { code: 'ECONNRESET' })],
  ])('hides %s behind INTERNAL', (_label, thrown) => {
    const status = toGrpcStatus(thrown);
    expect(status.code).toBe(GrpcStatus.INTERNAL);
    expect(status.details).toBe(INTERNAL_ERROR_DETAILS);
    expect(status.metadata.get(GEO_ERROR_CODE_METADATA_KEY)).toEqual([ErrorCodes.INTERNAL]);
  });
});

describe('fromGrpcError', () => {
  it.each(EXPECTED.filter(([name]) => name !== 'INTERNAL'))('round-trips %s with its message', (name) => {
    const code = ErrorCodes[name];
    const back = fromGrpcError(serviceErrorFrom(toGrpcStatus(new GeoError(code, 'the reason'))));
    expect(back.code).toBe(code);
    expect(back.message).toBe('the reason');
  });

  it('rebuilds the specific classes callers check for', () => {
    const notFound = fromGrpcError(serviceErrorFrom(toGrpcStatus(new NotFoundError('gone', {}, ErrorCodes.FILE_NOT_FOUND))));
    expect(notFound).toBeInstanceOf(NotFoundError);
    expect(notFound.code).toBe(ErrorCodes.FILE_NOT_FOUND);
    const unavailable = fromGrpcError(serviceErrorFrom(toGrpcStatus(new UnavailableError('db down'))));
    expect(unavailable).toBeInstanceOf(UnavailableError);
    expect(unavailable.retryable).toBe(true);
  });

  it.each([
    [GrpcStatus.UNAVAILABLE, ErrorCodes.UNAVAILABLE, true],
    [GrpcStatus.DEADLINE_EXCEEDED, ErrorCodes.TIMEOUT, true],
    [GrpcStatus.NOT_FOUND, ErrorCodes.NOT_FOUND, false],
    [GrpcStatus.UNAUTHENTICATED, ErrorCodes.UNAUTHENTICATED, false],
    [GrpcStatus.UNKNOWN, ErrorCodes.INTERNAL, false],
  ])('falls back on the gRPC status %s when no geo-error-code came back', (grpcCode, code, retryable) => {
    const err = fromGrpcError(serviceErrorFrom({ code: grpcCode, details: 'x', metadata: new Metadata() }));
    expect(err.code).toBe(code);
    expect(err.retryable).toBe(retryable);
  });

  it('ignores an unknown geo-error-code value', () => {
    const metadata = new Metadata();
    metadata.set(GEO_ERROR_CODE_METADATA_KEY, 'GEO_Z9999');
    expect(fromGrpcError(serviceErrorFrom({ code: GrpcStatus.ABORTED, details: 'x', metadata })).code).toBe(ErrorCodes.CONFLICT);
  });

  it('passes GeoErrors through and wraps anything else as INTERNAL', () => {
    const geo = new GeoError(ErrorCodes.CONFLICT, 'lost');
    expect(fromGrpcError(geo)).toBe(geo);
    expect(fromGrpcError(new Error('weird')).code).toBe(ErrorCodes.INTERNAL);
  });
});
