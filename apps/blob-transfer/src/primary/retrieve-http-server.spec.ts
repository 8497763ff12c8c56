import { ErrorCodes, NotFoundError, UnauthenticatedError, UnavailableError } from '@geo/domain';
import { errorFromRetrieveAnswer, INTERNAL_ERROR_MESSAGE, retrieveErrorReply, retrievePath } from '../http/retrieve-protocol';
import { parseRetrievePath } from './retrieve-http-server';

describe('parseRetrievePath', () => {
  it.each([
    ['packages_nuget_symbol/42', { replicableName: 'packages_nuget_symbol', modelRecordId: 42 }],
    ['a%20b/1', { replicableName: 'a b', modelRecordId: 1 }],
    ['x/9007199254740991', { replicableName: 'x', modelRecordId: 9007199254740991 }],
  ])('accepts %j', (rest, expected) => {
    expect(parseRetrievePath(rest)).toEqual(expected);
  });

  it.each(['', 'packages_nuget_symbol', 'packages_nuget_symbol/', '/42', 'a/0', 'a/-1', 'a/01', 'a/1.5', 'a/1e3', 'a/42/extra', 'a/9007199254740993', 'a/99999999999999999', '%E0%A4%A/1'])(
    'refuses %j with INVALID_ARGUMENT',
    (rest) => {
      let thrown: unknown;
      try {
        parseRetrievePath(rest);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
    },
  );

  it('round-trips the path the client builds (a slash in the name is encoded)', () => {
    expect(parseRetrievePath(retrievePath('packages nuget/symbol', 7).slice('/api/v4/geo/retrieve/'.length))).toEqual({ replicableName: 'packages nuget/symbol', modelRecordId: 7 });
  });
});

describe('retrieve error wire format', () => {
  it.each([
    ['a missing file', new NotFoundError('Packages::Nuget::Symbol #7 file not found', {}, ErrorCodes.FILE_NOT_FOUND), 404, { geo_code: 'FILE_NOT_FOUND' }],
    ['an unknown record', new NotFoundError('packages_nuget_symbol not found'), 404, {}],
    ['a refused caller', new UnauthenticatedError('Unknown or disabled Geo site access key'), 401, {}],
    ['our database down', new UnavailableError('database unavailable'), 503, {}],
  ])('%s: status, GitLab body, and back to the same error on the client', (_what, error, status, extra) => {
    const reply = retrieveErrorReply(error);
    expect(reply).toEqual({ status, body: { message: error.message, code: error.code, ...extra } });
    const back = errorFromRetrieveAnswer(reply.status, JSON.stringify(reply.body));
    expect(back).toMatchObject({ code: error.code, message: error.message, details: { httpStatus: status } });
    expect(back.retryable).toBe(status >= 500);
  });

  it('never shows the text of an unexpected failure', () => {
    expect(retrieveErrorReply(new TypeError('secret internals'))).toEqual({ status: 500, body: { message: INTERNAL_ERROR_MESSAGE, code: ErrorCodes.INTERNAL } });
  });
});
