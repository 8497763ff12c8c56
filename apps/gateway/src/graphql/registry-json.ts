import type { Registry } from '@geo/proto';
import { fromProtoSyncState, fromProtoVerificationState, type RegistryStateValue, type VerificationStateValue } from './enums';
import { NUGET_SYMBOL_REGISTRY_MODEL, toGlobalId } from './global-id';

/** A `PackagesNugetSymbolRegistry` as the schema returns it (every field GitLab's type has). */
export interface NugetSymbolRegistryNode {
  /** Resolves the `Registrable` union. */
  readonly __typename: 'PackagesNugetSymbolRegistry';
  readonly id: string;
  readonly packagesNugetSymbolId: string;
  readonly modelRecordId: number;
  readonly state: RegistryStateValue;
  readonly retryCount: number;
  readonly retryAt: Date | null;
  readonly lastSyncFailure: string | null;
  readonly lastSyncedAt: Date | null;
  readonly createdAt: Date | null;
  readonly verificationState: VerificationStateValue;
  readonly verificationChecksum: string | null;
  readonly verificationChecksumMismatched: string | null;
  readonly checksumMismatch: boolean;
  readonly verificationFailure: string | null;
  readonly verificationRetryAt: Date | null;
  readonly verificationRetryCount: number;
  readonly verificationStartedAt: Date | null;
  readonly verifiedAt: Date | null;
  /** Gone from GitLab's registry tables; GraphQL still has the field and answers null. */
  readonly missingOnPrimary: null;
  /** Deprecated in GitLab 17.10; always null. */
  readonly forceToRedownload: null;
}

/** A registry row from `geo.v1.RegistryService` as the GraphQL type; absent wire fields are null. */
export function toRegistryNode(registry: Registry): NugetSymbolRegistryNode {
  return {
    __typename: 'PackagesNugetSymbolRegistry',
    id: toGlobalId(NUGET_SYMBOL_REGISTRY_MODEL, registry.id),
    // GitLab's `packages_nuget_symbol_id` is a plain `ID` (the model id as a string), not a global id.
    packagesNugetSymbolId: String(registry.modelRecordId),
    modelRecordId: registry.modelRecordId,
    state: fromProtoSyncState(registry.state),
    retryCount: registry.retryCount,
    retryAt: registry.retryAt ?? null,
    lastSyncFailure: registry.lastSyncFailure ?? null,
    lastSyncedAt: registry.lastSyncedAt ?? null,
    createdAt: registry.createdAt ?? null,
    verificationState: fromProtoVerificationState(registry.verificationState),
    verificationChecksum: registry.verificationChecksum ?? null,
    verificationChecksumMismatched: registry.verificationChecksumMismatched ?? null,
    checksumMismatch: registry.checksumMismatch,
    verificationFailure: registry.verificationFailure ?? null,
    verificationRetryAt: registry.verificationRetryAt ?? null,
    verificationRetryCount: registry.verificationRetryCount,
    verificationStartedAt: registry.verificationStartedAt ?? null,
    verifiedAt: registry.verifiedAt ?? null,
    missingOnPrimary: null,
    forceToRedownload: null,
  };
}
