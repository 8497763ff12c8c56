import { decodeVerificationState, encodeVerificationState, ValidationError, type VerificationState } from '@geo/domain';
import { VerificationState as ProtoVerificationState } from '@geo/proto';

/**
 * Proto ↔ domain verification states. The wire enum is GitLab's stored value + 1 (proto3 reserves 0
 * for UNSPECIFIED, common.proto), so the mapping follows the domain's smallint encoding.
 */
export function toProtoVerificationState(state: VerificationState): ProtoVerificationState {
  return encodeVerificationState(state) + 1;
}

/** `undefined` for UNSPECIFIED (a filter meaning "any"); an unknown value is INVALID_ARGUMENT. */
export function fromProtoVerificationState(value: ProtoVerificationState): VerificationState | undefined {
  if (value === ProtoVerificationState.VERIFICATION_STATE_UNSPECIFIED) return undefined;
  if (!Number.isInteger(value) || value < ProtoVerificationState.VERIFICATION_STATE_PENDING || value > ProtoVerificationState.VERIFICATION_STATE_DISABLED) {
    throw new ValidationError(`unknown verification state ${value}`);
  }
  return decodeVerificationState(value - 1);
}
