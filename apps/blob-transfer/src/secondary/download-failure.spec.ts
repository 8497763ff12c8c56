import { ErrorCodes, GeoError, NotFoundError, UnauthenticatedError, UnavailableError, ValidationError } from '@geo/domain';
import { errorFromRetrieveAnswer, retrieveErrorReply } from '../http/retrieve-protocol';
import { classifyDownloadFailure, nonSuccessStatusReason, type DownloadFailure, type DownloadPhase } from './download-failure';

/** The error the retriever builds from the primary's answer to `error` (through the wire format). */
function fromPrimary(error: GeoError): GeoError {
  const reply = retrieveErrorReply(error);
  return errorFromRetrieveAnswer(reply.status, JSON.stringify(reply.body));
}

const mismatch = new GeoError(ErrorCodes.CHECKSUM_MISMATCH, 'blob k: sha256 mismatch: expected a, got b', {
  details: { expectedSha256: 'a', actualSha256: 'b' },
});
const storeDown = new UnavailableError('fs blob store: put k failed: EIO');

const CASES: ReadonlyArray<[string, unknown, DownloadPhase, DownloadFailure]> = [
  [
    'FILE_NOT_FOUND from the primary',
    fromPrimary(new NotFoundError('PackagesNugetSymbol #7 file not found', {}, ErrorCodes.FILE_NOT_FOUND)),
    'retrieve',
    { kind: 'failed', message: 'The file is missing on the Geo primary site', missingOnPrimary: true, statusCode: 404 },
  ],
  [
    'NOT_FOUND (no such record) from the primary',
    fromPrimary(new NotFoundError('packages_nuget_symbol not found')),
    'retrieve',
    { kind: 'failed', message: 'Non-success HTTP response status code 404', missingOnPrimary: false, statusCode: 404 },
  ],
  [
    'UNAUTHENTICATED from the primary',
    fromPrimary(new UnauthenticatedError('Invalid GL-Geo authorization header')),
    'retrieve',
    { kind: 'failed', message: 'Non-success HTTP response status code 401', missingOnPrimary: false, statusCode: 401 },
  ],
  [
    'UNAVAILABLE from the primary (its database down)',
    fromPrimary(new UnavailableError('database unavailable')),
    'retrieve',
    { kind: 'failed', message: 'Non-success HTTP response status code 503', missingOnPrimary: false, statusCode: 503 },
  ],
  [
    'a proxy in front of the primary answering 502 with an HTML page',
    errorFromRetrieveAnswer(502, '<html>Bad Gateway</html>'),
    'retrieve',
    { kind: 'failed', message: 'Non-success HTTP response status code 502', missingOnPrimary: false, statusCode: 502 },
  ],
  [
    'the primary unreachable (connection refused: no answer, no status)',
    new UnavailableError('GET http://127.0.0.1:1/api/v4/geo/retrieve/packages_nuget_symbol/7 failed: connect ECONNREFUSED 127.0.0.1:1'),
    'retrieve',
    {
      kind: 'failed',
      message: 'Error downloading file',
      errorMessage: 'GET http://127.0.0.1:1/api/v4/geo/retrieve/packages_nuget_symbol/7 failed: connect ECONNREFUSED 127.0.0.1:1',
      missingOnPrimary: false,
    },
  ],
  [
    'INTERNAL from the primary',
    fromPrimary(new GeoError(ErrorCodes.INTERNAL, 'Internal error')),
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
    Object.assign(new Error('aborted'), { code: 'ECONNRESET' }),
    'transfer',
    { kind: 'failed', message: 'Error downloading file', errorMessage: 'aborted', missingOnPrimary: false },
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
    expect(classifyDownloadFailure(fromPrimary(new UnavailableError('overloaded')), 'retrieve').kind).toBe('failed');
  });

  it('an error of the same code raised on our side is not taken for the primary’s answer', () => {
    expect(classifyDownloadFailure(new NotFoundError('x', {}, ErrorCodes.FILE_NOT_FOUND), 'retrieve')).toMatchObject({ message: 'Error downloading file', missingOnPrimary: false });
  });

  it('formats the status text as GitLab does', () => {
    expect(nonSuccessStatusReason(502)).toBe('Non-success HTTP response status code 502');
  });
});
