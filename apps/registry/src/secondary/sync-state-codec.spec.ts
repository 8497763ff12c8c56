import { SYNC_STATE_NAMES } from '@geo/domain';
import { SyncState as ProtoSyncState } from '@geo/proto';
import { fromProtoSyncState, toProtoSyncState } from './sync-state-codec';

describe('sync state codec', () => {
  it.each([
    ['pending', ProtoSyncState.SYNC_STATE_PENDING],
    ['started', ProtoSyncState.SYNC_STATE_STARTED],
    ['synced', ProtoSyncState.SYNC_STATE_SYNCED],
    ['failed', ProtoSyncState.SYNC_STATE_FAILED],
  ] as const)('%s is wire value %d and back', (state, wire) => {
    expect(toProtoSyncState(state)).toBe(wire);
    expect(fromProtoSyncState(wire)).toBe(state);
  });

  it('covers every domain state', () => {
    expect(SYNC_STATE_NAMES.map(toProtoSyncState)).toEqual([1, 2, 3, 4]);
  });

  it('reads UNSPECIFIED as no filter and rejects unknown values', () => {
    expect(fromProtoSyncState(ProtoSyncState.SYNC_STATE_UNSPECIFIED)).toBeUndefined();
    expect(() => fromProtoSyncState(ProtoSyncState.UNRECOGNIZED)).toThrow('unknown sync state -1');
    expect(() => fromProtoSyncState(5 as ProtoSyncState)).toThrow(/unknown sync state 5/);
  });
});
