import type { ReplicableRecord, TransitionContext } from '@geo/domain';
import type { RegistryVerificationClaim } from '@geo/pg';
import { comparablePrimaryChecksum, NO_LOCAL_RECORD_MESSAGE, registryVerificationResultFor } from './registry-verification-result';

const NOW = new Date('2026-11-25T12:00:00.000Z');
const CTX: TransitionContext = { now: NOW, random: () => 0 };
const STARTED_AT = new Date('2026-11-25T11:59:59.000Z');
const LAST_SYNCED = new Date('2026-11-20T00:00:00.000Z');
const PRIMARY = 'cd'.repeat(32);
const LOCAL = 'ab'.repeat(32);

/** A claimed synced row that failed verification twice before (so the backoff is visible). */
function claim(overrides: Partial<RegistryVerificationClaim['row']> = {}): RegistryVerificationClaim {
  return {
    row: {
      id: 7,
      modelId: 70,
      createdAt: new Date('2026-11-01T00:00:00.000Z'),
      state: 'synced',
      retryCount: 0,
      retryAt: null,
      lastSyncedAt: LAST_SYNCED,
      lastSyncFailure: null,
      verificationState: 'verification_started',
      verificationStartedAt: STARTED_AT,
      verificationRetryAt: null,
      verificationRetryCount: 2,
      verifiedAt: null,
      verificationChecksum: null,
      verificationFailure: null,
      checksumMismatch: false,
      verificationChecksumMismatched: null,
      ...overrides,
    },
    blob: { key: 'sym/70.pdb', size: 10, fileStore: 'local' },
    previous: { verificationState: 'verification_pending', verificationStartedAt: null },
  };
}

function record(overrides: Partial<ReplicableRecord> = {}): ReplicableRecord {
  return {
    replicableName: 'packages_nuget_symbol',
    modelRecordId: 70,
    blobKey: 'sym/70.pdb',
    size: 10,
    fileStore: 'local',
    projectId: 1,
    primaryVerificationState: 'verification_succeeded',
    primaryChecksum: PRIMARY,
    primaryVerifiedAt: NOW,
    attributes: {},
    createdAt: NOW,
    ...overrides,
  };
}

describe('comparablePrimaryChecksum (GitLab ready_to_verify?)', () => {
  it.each([
    ['succeeded with a checksum', record(), PRIMARY],
    ['pending on the primary', record({ primaryVerificationState: 'verification_pending', primaryChecksum: null }), null],
    ['failed on the primary', record({ primaryVerificationState: 'verification_failed', primaryChecksum: null }), null],
    ['started on the primary (re-checksumming)', record({ primaryVerificationState: 'verification_started', primaryChecksum: PRIMARY }), null],
    ['not answered by the primary (deleted or out of scope)', undefined, null],
  ])('%s → %s', (_name, input, expected) => {
    expect(comparablePrimaryChecksum(input)).toBe(expected);
  });
});

describe('registryVerificationResultFor', () => {
  // delay(n) with rand 0: n⁴ + 15. Verification retry count 2 → 3: 81 + 15 = 96 s.
  const retryAt = new Date(NOW.getTime() + 96_000);

  it.each([
    {
      name: 'primary has no succeeded checksum → verification_disabled, nothing read, nothing else changed',
      primary: null,
      local: undefined,
      expected: { verificationState: 'verification_disabled', state: 'synced', verificationRetryCount: 2, verifiedAt: null, lastSyncFailure: null },
    },
    {
      name: 'equal → verification_succeeded with verified_at, failure fields and mismatch cleared',
      primary: PRIMARY,
      local: { kind: 'checksum', checksum: PRIMARY } as const,
      expected: {
        verificationState: 'verification_succeeded',
        state: 'synced',
        verificationChecksum: PRIMARY,
        verifiedAt: NOW,
        verificationRetryCount: 0,
        verificationRetryAt: null,
        checksumMismatch: false,
        verificationChecksumMismatched: null,
        lastSyncedAt: LAST_SYNCED,
      },
    },
    {
      name: 'different → mismatch: both checksums in the text, local value kept, sync failed with the same backoff',
      primary: PRIMARY,
      local: { kind: 'checksum', checksum: LOCAL } as const,
      expected: {
        verificationState: 'verification_failed',
        verificationFailure: `Checksum does not match the primary checksum {:checksum=>"${LOCAL}", :primary_checksum=>"${PRIMARY}", :registry_id=>7}`,
        verificationChecksum: LOCAL,
        verificationChecksumMismatched: LOCAL,
        checksumMismatch: true,
        verificationRetryCount: 3,
        verificationRetryAt: retryAt,
        verifiedAt: NOW,
        state: 'failed',
        retryCount: 3,
        retryAt,
        lastSyncedAt: LAST_SYNCED,
      },
    },
    {
      name: 'local blob missing → "Error during verification: File is not checksummable", checksum NULL, resync',
      primary: PRIMARY,
      local: { kind: 'error', message: 'File is not checksummable' } as const,
      expected: {
        verificationState: 'verification_failed',
        verificationFailure: 'Error during verification: File is not checksummable',
        verificationChecksum: null,
        checksumMismatch: false,
        verificationRetryCount: 3,
        state: 'failed',
        retryCount: 3,
        retryAt,
        lastSyncFailure: 'Verification failed with: Error during verification: File is not checksummable',
      },
    },
    {
      name: 'no local record of the blob → an error outcome, resync',
      primary: PRIMARY,
      local: { kind: 'error', message: NO_LOCAL_RECORD_MESSAGE } as const,
      expected: { verificationState: 'verification_failed', verificationFailure: `Error during verification: ${NO_LOCAL_RECORD_MESSAGE}`, state: 'failed' },
    },
  ])('$name', ({ primary, local, expected }) => {
    const c = claim();
    const { claim: same, next } = registryVerificationResultFor(c, primary, local, CTX);
    expect(same).toBe(c);
    expect(next).toMatchObject({ ...expected, id: 7, modelId: 70 });
  });

  it('the mismatch text truncates to 255 like ActiveSupport, and the sync failure quotes it', () => {
    const { next } = registryVerificationResultFor(claim({ id: 123456789 }), PRIMARY, { kind: 'checksum', checksum: LOCAL }, CTX);
    expect(next.verificationFailure!.length).toBeLessThanOrEqual(255);
    expect(next.lastSyncFailure).toBe(`Verification failed with: ${next.verificationFailure!}`.slice(0, 252) + '...');
  });

  it('refuses to compare without a local outcome (a wiring bug, not a verification failure)', () => {
    expect(() => registryVerificationResultFor(claim(), PRIMARY, undefined, CTX)).toThrow(/without a local checksum outcome/);
  });
});
