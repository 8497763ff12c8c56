import { ErrorCodes } from '@geo/domain';
import { RegistrySort, SyncState, VerificationState } from '@geo/proto';
import {
  fromProtoSyncState,
  fromProtoVerificationState,
  REGISTRY_CLASSES,
  REGISTRY_SORTS,
  REGISTRY_STATES,
  replicableOfClass,
  toProtoSort,
  toProtoSyncState,
  toProtoVerificationFilter,
  VERIFICATION_STATES,
} from './enums';
import { SCHEMA_SDL } from './graphql-routes';

/** The values an enum of schema.graphql declares. */
function sdlEnum(name: string): string[] {
  const body = new RegExp(`enum ${name} \\{([^}]*)\\}`).exec(SCHEMA_SDL)?.[1] ?? '';
  return body
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[A-Z_]+$/.test(line));
}

describe('GraphQL enums (GitLab names) and the wire enums', () => {
  it('match schema.graphql', () => {
    expect(sdlEnum('RegistryState')).toEqual([...REGISTRY_STATES]);
    expect(sdlEnum('ReplicationStateEnum')).toEqual([...REGISTRY_STATES]);
    expect(sdlEnum('VerificationStateEnum')).toEqual([...VERIFICATION_STATES]);
    expect(sdlEnum('GeoRegistrySort')).toEqual([...REGISTRY_SORTS]);
    expect(sdlEnum('GeoRegistryClass')).toEqual(Object.keys(REGISTRY_CLASSES));
    expect(sdlEnum('GeoRegistryAction')).toEqual(['REVERIFY', 'RESYNC']);
    expect(sdlEnum('GeoRegistriesBulkAction')).toEqual(['REVERIFY_ALL', 'RESYNC_ALL']);
  });

  it.each([
    ['PENDING', SyncState.SYNC_STATE_PENDING],
    ['STARTED', SyncState.SYNC_STATE_STARTED],
    ['SYNCED', SyncState.SYNC_STATE_SYNCED],
    ['FAILED', SyncState.SYNC_STATE_FAILED],
  ] as const)('sync state %s <-> %s', (value, wire) => {
    expect(toProtoSyncState(value)).toBe(wire);
    expect(fromProtoSyncState(wire)).toBe(value);
  });

  it.each([
    ['PENDING', VerificationState.VERIFICATION_STATE_PENDING],
    ['STARTED', VerificationState.VERIFICATION_STATE_STARTED],
    ['SUCCEEDED', VerificationState.VERIFICATION_STATE_SUCCEEDED],
    ['FAILED', VerificationState.VERIFICATION_STATE_FAILED],
    ['DISABLED', VerificationState.VERIFICATION_STATE_DISABLED],
  ] as const)('verification state %s <-> %s', (value, wire) => {
    expect(toProtoVerificationFilter(value)).toBe(wire);
    expect(fromProtoVerificationState(wire)).toBe(value);
  });

  it('no filter is UNSPECIFIED ("any") on the wire', () => {
    expect(toProtoSyncState(undefined)).toBe(SyncState.SYNC_STATE_UNSPECIFIED);
    expect(toProtoVerificationFilter(undefined)).toBe(VerificationState.VERIFICATION_STATE_UNSPECIFIED);
  });

  it('a state the registry app must never send is INTERNAL', () => {
    expect(() => fromProtoSyncState(SyncState.SYNC_STATE_UNSPECIFIED)).toThrow(expect.objectContaining({ code: ErrorCodes.INTERNAL }) as Error);
    expect(() => fromProtoVerificationState(VerificationState.VERIFICATION_STATE_UNSPECIFIED)).toThrow(/broke the contract/);
  });

  it.each([
    [undefined, RegistrySort.REGISTRY_SORT_ID_ASC],
    ['ID_ASC', RegistrySort.REGISTRY_SORT_ID_ASC],
    ['ID_DESC', RegistrySort.REGISTRY_SORT_ID_DESC],
    ['VERIFIED_AT_ASC', RegistrySort.REGISTRY_SORT_VERIFIED_AT_ASC],
    ['VERIFIED_AT_DESC', RegistrySort.REGISTRY_SORT_VERIFIED_AT_DESC],
    ['LAST_SYNCED_AT_ASC', RegistrySort.REGISTRY_SORT_LAST_SYNCED_AT_ASC],
    ['LAST_SYNCED_AT_DESC', RegistrySort.REGISTRY_SORT_LAST_SYNCED_AT_DESC],
  ] as const)('sort %s -> %s', (value, wire) => {
    expect(toProtoSort(value)).toBe(wire);
  });

  it('GeoRegistryClass names the replicable', () => {
    expect(replicableOfClass('PACKAGES_NUGET_SYMBOL_REGISTRY')).toBe('packages_nuget_symbol');
  });
});
