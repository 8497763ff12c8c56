import { ErrorCodes, ValidationError, httpStatusFor } from '@geo/domain';
import { REJECT_REASONS, errorCodeForReason, packageRejection, rejectReasonOf } from './reject';

describe('reject reasons', () => {
  it('are "<area>.<snake_case>" and unique', () => {
    expect(new Set(REJECT_REASONS).size).toBe(REJECT_REASONS.length);
    for (const reason of REJECT_REASONS) expect(reason).toMatch(/^(package|zip|nuspec|snupkg|pdb)\.[a-z_]+$/);
  });

  it('map size limits to 413 and everything else to 400', () => {
    const tooLarge = REJECT_REASONS.filter((reason) => httpStatusFor(errorCodeForReason(reason)) === 413);
    expect(tooLarge.sort()).toEqual(['nuspec.too_large', 'package.too_large', 'zip.ratio', 'zip.uncompressed_too_large']);
    for (const reason of REJECT_REASONS.filter((r) => !tooLarge.includes(r))) expect(httpStatusFor(errorCodeForReason(reason))).toBe(400);
  });

  it('packageRejection builds a ValidationError carrying reason, details and cause', () => {
    const cause = new Error('low level');
    const error = packageRejection('zip.ratio', 'too compressed', { entry: 'a.pdb' }, cause);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe(ErrorCodes.TOO_LARGE);
    expect(error.details).toEqual({ entry: 'a.pdb', reason: 'zip.ratio' });
    expect(error.cause).toBe(cause);
    expect(rejectReasonOf(error)).toBe('zip.ratio');
  });

  it('rejectReasonOf ignores other errors and unknown reasons', () => {
    expect(rejectReasonOf(new Error('plain'))).toBeUndefined();
    expect(rejectReasonOf(new ValidationError('x', { details: { reason: 'made.up' } }))).toBeUndefined();
    expect(rejectReasonOf(Object.assign(new Error('foreign'), { code: 'GEO_V0001' }))).toBeUndefined();
    expect(rejectReasonOf('zip.ratio')).toBeUndefined();
  });
});
