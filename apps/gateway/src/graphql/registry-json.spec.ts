import { SyncState, VerificationState, type Registry } from '@geo/proto';
import { toRegistryNode } from './registry-json';

const WIRE: Registry = {
  id: 5,
  replicableName: 'packages_nuget_symbol',
  modelRecordId: 42,
  state: SyncState.SYNC_STATE_FAILED,
  retryCount: 2,
  retryAt: new Date('2026-12-08T01:00:00.123Z'),
  lastSyncFailure: 'Sync timed out after 28800 seconds',
  lastSyncedAt: new Date('2026-12-08T00:59:00Z'),
  createdAt: new Date('2026-12-01T00:00:00Z'),
  verificationState: VerificationState.VERIFICATION_STATE_FAILED,
  verificationChecksum: 'ab'.repeat(32),
  verificationChecksumMismatched: 'cd'.repeat(32),
  checksumMismatch: true,
  verificationFailure: 'Checksum does not match the primary checksum',
  verificationRetryAt: new Date('2026-12-08T02:00:00Z'),
  verificationRetryCount: 1,
  verificationStartedAt: new Date('2026-12-08T00:58:00Z'),
  verifiedAt: new Date('2026-12-08T00:58:30Z'),
};

describe('toRegistryNode (PackagesNugetSymbolRegistry fields)', () => {
  it('maps every field with GitLab ids, enums and nulls', () => {
    expect(toRegistryNode(WIRE)).toEqual({
      __typename: 'PackagesNugetSymbolRegistry',
      id: 'gid://gitlab/Geo::PackagesNugetSymbolRegistry/5',
      packagesNugetSymbolId: '42',
      modelRecordId: 42,
      state: 'FAILED',
      retryCount: 2,
      retryAt: WIRE.retryAt,
      lastSyncFailure: 'Sync timed out after 28800 seconds',
      lastSyncedAt: WIRE.lastSyncedAt,
      createdAt: WIRE.createdAt,
      verificationState: 'FAILED',
      verificationChecksum: 'ab'.repeat(32),
      verificationChecksumMismatched: 'cd'.repeat(32),
      checksumMismatch: true,
      verificationFailure: 'Checksum does not match the primary checksum',
      verificationRetryAt: WIRE.verificationRetryAt,
      verificationRetryCount: 1,
      verificationStartedAt: WIRE.verificationStartedAt,
      verifiedAt: WIRE.verifiedAt,
      missingOnPrimary: null,
      forceToRedownload: null,
    });
  });

  it('absent optional fields are null', () => {
    const node = toRegistryNode({
      ...WIRE,
      state: SyncState.SYNC_STATE_PENDING,
      verificationState: VerificationState.VERIFICATION_STATE_PENDING,
      retryAt: undefined,
      lastSyncFailure: undefined,
      lastSyncedAt: undefined,
      verificationChecksum: undefined,
      verificationChecksumMismatched: undefined,
      verificationFailure: undefined,
      verificationRetryAt: undefined,
      verificationStartedAt: undefined,
      verifiedAt: undefined,
    });
    expect(node).toMatchObject({
      state: 'PENDING',
      verificationState: 'PENDING',
      retryAt: null,
      lastSyncFailure: null,
      lastSyncedAt: null,
      verificationChecksum: null,
      verificationChecksumMismatched: null,
      verificationFailure: null,
      verificationRetryAt: null,
      verificationStartedAt: null,
      verifiedAt: null,
    });
  });
});
