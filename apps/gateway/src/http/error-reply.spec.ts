import { ErrorCodes, GeoError, NotFoundError, UnauthenticatedError, UnavailableError, ValidationError } from '@geo/domain';
import { INTERNAL_ERROR_MESSAGE, toErrorReply } from './error-reply';

function frameworkError(message: string, statusCode: number): Error {
  return Object.assign(new Error(message), { statusCode, code: 'FST_SOMETHING' });
}

describe('toErrorReply', () => {
  it.each([
    [new ValidationError('Invalid package: no .nuspec'), 400, ErrorCodes.INVALID_ARGUMENT],
    [new ValidationError('File is too large', {}, ErrorCodes.TOO_LARGE), 413, ErrorCodes.TOO_LARGE],
    [new UnauthenticatedError('401 Unauthorized'), 401, ErrorCodes.UNAUTHENTICATED],
    [new NotFoundError('404 Package Not Found'), 404, ErrorCodes.NOT_FOUND],
    [new GeoError(ErrorCodes.ALREADY_EXISTS, 'symbols already pushed'), 409, ErrorCodes.ALREADY_EXISTS],
    [new UnavailableError('nuget app unreachable'), 503, ErrorCodes.UNAVAILABLE],
    [new GeoError(ErrorCodes.TIMEOUT, 'deadline exceeded'), 504, ErrorCodes.TIMEOUT],
  ])('maps %s to its status with message and code', (error, status, code) => {
    expect(toErrorReply(error)).toEqual({ status, body: { message: error.message, code }, logLevel: status >= 500 ? 'error' : 'info' });
  });

  it('hides the message of an INTERNAL GeoError', () => {
    const reply = toErrorReply(new GeoError(ErrorCodes.INTERNAL, 'relation "geo_sites" does not exist'));
    expect(reply).toEqual({ status: 500, body: { message: INTERNAL_ERROR_MESSAGE, code: ErrorCodes.INTERNAL }, logLevel: 'error' });
  });

  it('hides the message of an unknown error', () => {
    expect(toErrorReply(new TypeError('cannot read properties of undefined'))).toEqual({
      status: 500,
      body: { message: INTERNAL_ERROR_MESSAGE, code: ErrorCodes.INTERNAL },
      logLevel: 'error',
    });
    expect(toErrorReply('a string').status).toBe(500);
  });

  it.each([
    [400, ErrorCodes.INVALID_ARGUMENT],
    [413, ErrorCodes.TOO_LARGE],
    [404, ErrorCodes.NOT_FOUND],
    [415, ErrorCodes.INVALID_ARGUMENT],
  ])('keeps a framework %i with code %s', (statusCode, code) => {
    expect(toErrorReply(frameworkError('Body is not valid JSON', statusCode))).toEqual({
      status: statusCode,
      body: { message: 'Body is not valid JSON', code },
      logLevel: 'info',
    });
  });

  it('treats a framework 5xx as internal', () => {
    expect(toErrorReply(frameworkError('boom', 500)).body.message).toBe(INTERNAL_ERROR_MESSAGE);
  });

  it('passes per-field validation messages through as `errors`', () => {
    const error = new ValidationError('Name can\'t be blank', { details: { fieldErrors: { name: ["can't be blank"] } } });
    expect(toErrorReply(error).body).toEqual({ message: "Name can't be blank", code: ErrorCodes.INVALID_ARGUMENT, errors: { name: ["can't be blank"] } });
  });
});
