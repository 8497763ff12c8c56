import { ErrorCodes, ValidationError } from '@geo/domain';
import { VerificationState as ProtoVerificationState } from '@geo/proto';
import { fromProtoVerificationState, toProtoVerificationState } from './verification-state-codec';

describe('verification state codec (wire = GitLab value + 1)', () => {
  it.each([
    ['verification_pending', ProtoVerificationState.VERIFICATION_STATE_PENDING, 1],
    ['verification_started', ProtoVerificationState.VERIFICATION_STATE_STARTED, 2],
    ['verification_succeeded', ProtoVerificationState.VERIFICATION_STATE_SUCCEEDED, 3],
    ['verification_failed', ProtoVerificationState.VERIFICATION_STATE_FAILED, 4],
    ['verification_disabled', ProtoVerificationState.VERIFICATION_STATE_DISABLED, 5],
  ] as const)('%s ↔ %s (%i)', (domain, proto, wire) => {
    expect(toProtoVerificationState(domain)).toBe(proto);
    expect(proto).toBe(wire);
    expect(fromProtoVerificationState(proto)).toBe(domain);
  });

  it('UNSPECIFIED decodes to undefined (no filter)', () => {
    expect(fromProtoVerificationState(ProtoVerificationState.VERIFICATION_STATE_UNSPECIFIED)).toBeUndefined();
  });

  it.each([6, -1, 99])('rejects unknown wire value %i as INVALID_ARGUMENT', (value) => {
    expect(() => fromProtoVerificationState(value as ProtoVerificationState)).toThrow(ValidationError);
    expect(() => fromProtoVerificationState(value as ProtoVerificationState)).toThrow(`unknown verification state ${value}`);
    expect(new ValidationError('x').code).toBe(ErrorCodes.INVALID_ARGUMENT);
  });
});
