import { ErrorCodes, GeoError, NotFoundError, UnauthenticatedError, UnavailableError, ValidationError } from '@geo/domain';
import { classifyDownloadFailure, nonSuccessStatusReason, type DownloadFailure, type DownloadPhase } from './download-failure';

/** An error as `fromGrpcError` builds it from a status the primary sent (the gRPC code in details). */
function fromPrimary<E extends GeoError>(error: E, grpcCode: number): E {
  Object.assign(error, { details: { ...error.details, grpcCode } });
  return error;
}

const mismatch = new GeoError(ErrorCodes.CHECKSUM_MISMATCH, 'blob k: sha256 mismatch: expected a, got b', {
  details: { expectedSha256: 'a', actualSha256: 'b' },
});
const storeDown = new UnavailableError('fs blob store: put k failed: EIO');

const CASES: ReadonlyArray<[string, unknown, DownloadPhase, DownloadFailure]> = [
  [
    'FILE_NOT_FOUND from the primary',
    fromPrimary(new NotFoundError('PackagesNugetSymbol #7 file not found', {}, ErrorCodes.FILE_NOT_FOUND), 5),
    'retrieve',
    { kind: 'failed', message: 'The file is missing on the Geo primary site', missingOnPrimary: true, statusCode: 404 },
  ],
  [
    'NOT_FOUND (no such record) from the primary',
    fromPrimary(new NotFoundError('packages_nuget_symbol not found'), 5),
    'retrieve',
    { kind: 'failed', message: 'Non-success HTTP response status code 404', missingOnPrimary: false, statusCode: 404 },
  ],
  [
    'UNAUTHENTICATED from the primary',
    fromPrimary(new UnauthenticatedError('Invalid GL-Geo authorization header'), 16),
    'retrieve',
    { kind: 'failed', message: 'Non-success HTTP response status code 401', missingOnPrimary: false, statusCode: 401 },
  ],
  [
    'the primary unreachable (transport UNAVAILABLE)',
    fromPrimary(new UnavailableError('No connection established'), 14),
    'retrieve',
    { kind: 'failed', message: 'Non-success HTTP response status code 503', missingOnPrimary: false, statusCode: 503 },
  ],
  [
    'INTERNAL from the primary',
    fromPrimary(new GeoError(ErrorCodes.INTERNAL, 'Internal error'), 13),
    'retrieve',
    { kind: 'failed', message: 'Non-success HTTP response status code 500', missingOnPrimary: false, statusCode: 500 },
  ],
  [
    'a read timeout waiting for the header (our clock, no status)',
    new GeoError(ErrorCodes.TIMEOUT, 'no data from the primary for 60000 ms', { retryable: true }),
    'retrieve',
    { kind: 'failed', message: 'Error downloading file', errorMessage: 'no data from the primary for 60000 ms', missingOnPrimary: false },
  ],
  [
    'a malformed header',
    new ValidationError('the primary sent an invalid blob size -1'),
    'retrieve',
    { kind: 'failed', message: 'Error downloading file', errorMessage: 'the primary sent an invalid blob size -1', missingOnPrimary: false },
  ],
  [
    'the stream breaking off mid-transfer',
    fromPrimary(new UnavailableError('Connection dropped'), 14),
    'transfer',
    { kind: 'failed', message: 'Error downloading file', errorMessage: 'Connection dropped', missingOnPrimary: false },
  ],
  ['a checksum mismatch in the store', mismatch, 'store', { kind: 'failed', message: 'Downloaded file checksum mismatch', missingOnPrimary: false }],
  ['our blob store unavailable', storeDown, 'store', { kind: 'retry', error: storeDown }],
  [
    'an invalid blob key',
    new ValidationError('invalid blob key: is empty', {}, ErrorCodes.INVALID_BLOB_KEY),
    'store',
    { kind: 'failed', message: 'Error downloading file', errorMessage: 'invalid blob key: is empty', missingOnPrimary: false },
  ],
  ['a plain Error (a bug)', new TypeError('x is undefined'), 'store', { kind: 'failed', message: 'Error downloading file', errorMessage: 'x is undefined', missingOnPrimary: false }],
  ['a thrown string', 'boom', 'transfer', { kind: 'failed', message: 'Error downloading file', errorMessage: 'boom', missingOnPrimary: false }],
];

describe('classifyDownloadFailure (GitLab BlobDownloader reasons, spec §5.4)', () => {
  it.each(CASES)('%s', (_label, error, phase, expected) => {
    expect(classifyDownloadFailure(error, phase)).toEqual(expected);
  });

  it('a retryable error of the primary is still the primary’s failure (the row backs off), not a redelivery', () => {
    expect(classifyDownloadFailure(fromPrimary(new UnavailableError('overloaded'), 14), 'retrieve').kind).toBe('failed');
  });

  it('formats the status text as GitLab does', () => {
    expect(nonSuccessStatusReason(502)).toBe('Non-success HTTP response status code 502');
  });
});
