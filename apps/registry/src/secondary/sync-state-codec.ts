import { decodeSyncState, encodeSyncState, ValidationError, type SyncState } from '@geo/domain';
import { SyncState as ProtoSyncState } from '@geo/proto';

/**
 * Proto ↔ domain registry sync states. The wire enum is GitLab's stored value + 1 (proto3
 * reserves 0 for UNSPECIFIED, common.proto), like the verification-state codec in `@geo/grpc`.
 */
export function toProtoSyncState(state: SyncState): ProtoSyncState {
  return encodeSyncState(state) + 1;
}

/** `undefined` for UNSPECIFIED (a filter meaning "any"); an unknown value is INVALID_ARGUMENT. */
export function fromProtoSyncState(value: ProtoSyncState): SyncState | undefined {
  if (value === ProtoSyncState.SYNC_STATE_UNSPECIFIED) return undefined;
  if (!Number.isInteger(value) || value < ProtoSyncState.SYNC_STATE_PENDING || value > ProtoSyncState.SYNC_STATE_FAILED) {
    throw new ValidationError(`unknown sync state ${value}`);
  }
  return decodeSyncState(value - 1);
}
