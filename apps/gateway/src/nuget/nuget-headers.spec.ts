import { ErrorCodes, GeoError } from '@geo/domain';
import { declaredContentLength, MISSING_CHECKSUM_MESSAGE, nugetApiKey, symbolChecksum } from './nuget-headers';

function thrown(fn: () => unknown): GeoError {
  try {
    fn();
  } catch (error: unknown) {
    if (error instanceof GeoError) return error;
    throw error;
  }
  throw new Error('expected a GeoError');
}

describe('nugetApiKey', () => {
  it('returns the key', () => {
    expect(nugetApiKey({ 'x-nuget-apikey': ' key-1 ' })).toBe('key-1');
  });

  it.each([[{}], [{ 'x-nuget-apikey': '' }], [{ 'x-nuget-apikey': '   ' }]])('answers 401 for %j', (headers) => {
    expect(thrown(() => nugetApiKey(headers))).toMatchObject({ code: ErrorCodes.UNAUTHENTICATED, message: '401 Unauthorized' });
  });
});

describe('symbolChecksum', () => {
  it('passes the header through raw', () => {
    expect(symbolChecksum({ symbolchecksum: 'SHA256:D81E' })).toBe('SHA256:D81E');
  });

  it('joins repeated headers with ";" like the multi-value form', () => {
    expect(symbolChecksum({ symbolchecksum: ['SHA256:aa', 'SHA256:bb'] })).toBe('SHA256:aa;SHA256:bb');
  });

  it.each([[{}], [{ symbolchecksum: '' }], [{ symbolchecksum: ' ' }]])('answers 400 for %j', (headers) => {
    expect(thrown(() => symbolChecksum(headers))).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT, message: MISSING_CHECKSUM_MESSAGE });
  });
});

describe('declaredContentLength', () => {
  it.each([
    [{ 'content-length': '1024' }, 1024],
    [{ 'content-length': '0' }, 0],
    [{ 'content-length': '-1' }, undefined],
    [{ 'content-length': 'abc' }, undefined],
    [{}, undefined],
  ])('%j → %s', (headers, expected) => {
    expect(declaredContentLength(headers)).toBe(expected);
  });
});
