import { ErrorCodes, GeoError } from '@geo/domain';
import { RegistrySort, SyncState, VerificationState } from '@geo/proto';
import { packagesNugetSymbol } from '@geo/replicables';

/**
 * GraphQL enum values (GitLab's names, spec §9) and the wire enums of `geo.v1.RegistryService`.
 * `RegistryState` (a registry's field) and `ReplicationStateEnum` (the filter) have the same values.
 */
export const REGISTRY_STATES = ['PENDING', 'STARTED', 'SYNCED', 'FAILED'] as const;
export type RegistryStateValue = (typeof REGISTRY_STATES)[number];

/** `VerificationStateEnum`: the `verification_` prefix stripped, upper-cased. */
export const VERIFICATION_STATES = ['PENDING', 'STARTED', 'SUCCEEDED', 'FAILED', 'DISABLED'] as const;
export type VerificationStateValue = (typeof VERIFICATION_STATES)[number];

export const REGISTRY_SORTS = ['ID_ASC', 'ID_DESC', 'VERIFIED_AT_ASC', 'VERIFIED_AT_DESC', 'LAST_SYNCED_AT_ASC', 'LAST_SYNCED_AT_DESC'] as const;
export type RegistrySortValue = (typeof REGISTRY_SORTS)[number];

/** `GeoRegistryClass` values and the replicable each names (GitLab: the registry class, underscored and upper-cased). */
export const REGISTRY_CLASSES = { PACKAGES_NUGET_SYMBOL_REGISTRY: packagesNugetSymbol.name } as const;
export type RegistryClassValue = keyof typeof REGISTRY_CLASSES;

const SYNC_BY_VALUE: Readonly<Record<RegistryStateValue, SyncState>> = {
  PENDING: SyncState.SYNC_STATE_PENDING,
  STARTED: SyncState.SYNC_STATE_STARTED,
  SYNCED: SyncState.SYNC_STATE_SYNCED,
  FAILED: SyncState.SYNC_STATE_FAILED,
};

const VERIFICATION_BY_VALUE: Readonly<Record<VerificationStateValue, VerificationState>> = {
  PENDING: VerificationState.VERIFICATION_STATE_PENDING,
  STARTED: VerificationState.VERIFICATION_STATE_STARTED,
  SUCCEEDED: VerificationState.VERIFICATION_STATE_SUCCEEDED,
  FAILED: VerificationState.VERIFICATION_STATE_FAILED,
  DISABLED: VerificationState.VERIFICATION_STATE_DISABLED,
};

const SORT_BY_VALUE: Readonly<Record<RegistrySortValue, RegistrySort>> = {
  ID_ASC: RegistrySort.REGISTRY_SORT_ID_ASC,
  ID_DESC: RegistrySort.REGISTRY_SORT_ID_DESC,
  VERIFIED_AT_ASC: RegistrySort.REGISTRY_SORT_VERIFIED_AT_ASC,
  VERIFIED_AT_DESC: RegistrySort.REGISTRY_SORT_VERIFIED_AT_DESC,
  LAST_SYNCED_AT_ASC: RegistrySort.REGISTRY_SORT_LAST_SYNCED_AT_ASC,
  LAST_SYNCED_AT_DESC: RegistrySort.REGISTRY_SORT_LAST_SYNCED_AT_DESC,
};

function reverseOf<K extends string, V>(table: Readonly<Record<K, V>>): ReadonlyMap<V, K> {
  return new Map((Object.entries(table) as [K, V][]).map(([k, v]) => [v, k]));
}

const VALUE_BY_SYNC = reverseOf(SYNC_BY_VALUE);
const VALUE_BY_VERIFICATION = reverseOf(VERIFICATION_BY_VALUE);

/** Filter value → wire enum; undefined (no filter) → UNSPECIFIED, which the RPC reads as "any". */
export function toProtoSyncState(value: RegistryStateValue | undefined): SyncState {
  return value === undefined ? SyncState.SYNC_STATE_UNSPECIFIED : SYNC_BY_VALUE[value];
}

export function toProtoVerificationFilter(value: VerificationStateValue | undefined): VerificationState {
  return value === undefined ? VerificationState.VERIFICATION_STATE_UNSPECIFIED : VERIFICATION_BY_VALUE[value];
}

/** No sort → ID_ASC (GitLab's finder orders by id). */
export function toProtoSort(value: RegistrySortValue | undefined): RegistrySort {
  return SORT_BY_VALUE[value ?? 'ID_ASC'];
}

/** A registry's state as the GraphQL enum; a value the RPC must never send is a contract breach. */
export function fromProtoSyncState(state: SyncState): RegistryStateValue {
  const value = VALUE_BY_SYNC.get(state);
  if (value === undefined) throw new GeoError(ErrorCodes.INTERNAL, `registry app broke the contract: sync state ${state}`);
  return value;
}

export function fromProtoVerificationState(state: VerificationState): VerificationStateValue {
  const value = VALUE_BY_VERIFICATION.get(state);
  if (value === undefined) throw new GeoError(ErrorCodes.INTERNAL, `registry app broke the contract: verification state ${state}`);
  return value;
}

export function replicableOfClass(value: RegistryClassValue): string {
  return REGISTRY_CLASSES[value];
}
