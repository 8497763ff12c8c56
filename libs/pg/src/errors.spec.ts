import { GeoError, ErrorCodes } from '@geo/domain';
import { mapPgError } from './errors';

const pgError = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`pg ${code}`), { code, ...extra });

describe('mapPgError', () => {
  it.each([
    ['23505', ErrorCodes.ALREADY_EXISTS, false],
    ['23503', ErrorCodes.INVALID_ARGUMENT, false],
    ['23514', ErrorCodes.INVALID_ARGUMENT, false],
    ['23502', ErrorCodes.INVALID_ARGUMENT, false],
    ['40001', ErrorCodes.CONFLICT, true],
    ['40P01', ErrorCodes.CONFLICT, true],
    ['57014', ErrorCodes.TIMEOUT, true],
    ['57P01', ErrorCodes.UNAVAILABLE, true],
    ['53300', ErrorCodes.UNAVAILABLE, true],
    ['08006', ErrorCodes.UNAVAILABLE, true],
    ['42P01', ErrorCodes.INTERNAL, false],
  ])('SQLSTATE %s → %s (retryable %s)', (state, code, retryable) => {
    const mapped = mapPgError(pgError(state, { constraint: 'c' }), 'op');
    expect(mapped).toMatchObject({ code, retryable });
    expect(mapped.message).toMatch(/^op: /);
    expect(mapped.cause).toBeInstanceOf(Error);
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND'])('socket error %s → retryable UNAVAILABLE', (errno) => {
    expect(mapPgError(pgError(errno), 'connect')).toMatchObject({ name: 'UnavailableError', code: ErrorCodes.UNAVAILABLE, retryable: true });
  });

  it('looks inside AggregateError (IPv4 and IPv6 both refused)', () => {
    const error = new AggregateError([pgError('ECONNREFUSED'), pgError('ECONNREFUSED')], '');
    expect(mapPgError(error, 'connect')).toMatchObject({ code: ErrorCodes.UNAVAILABLE, retryable: true });
  });

  it('passes GeoErrors through unchanged', () => {
    const original = new GeoError(ErrorCodes.NOT_FOUND, 'gone');
    expect(mapPgError(original, 'op')).toBe(original);
  });

  it('turns non-errors into INTERNAL', () => {
    expect(mapPgError('weird', 'op')).toMatchObject({ code: ErrorCodes.INTERNAL, message: 'op: weird' });
  });
});
