import { InvalidTransitionError } from '../errors/geo-error';
import type { RegistryRow } from '../registry/registry-row';
import type { SyncState } from '../registry/sync-state';
import {
  applyRegistryChecksumResult,
  applyRegistryVerificationEvent,
  beginRegistryVerification,
  checksumMismatchFailure,
} from './registry-verification';
import type { TransitionContext } from '../state-machine';
import type { VerificationState } from './verification-state';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const EARLIER = new Date('2025-12-31T00:00:00.000Z');
const ctx: TransitionContext = { now: NOW, random: () => 0 };
const secondsAfterNow = (s: number): Date => new Date(NOW.getTime() + s * 1000);
const SHA_LOCAL = 'a'.repeat(64);
const SHA_PRIMARY = 'b'.repeat(64);

function registry(verificationState: VerificationState, overrides: Partial<RegistryRow> = {}, state: SyncState = 'synced'): RegistryRow {
  return {
    state,
    retryCount: 0,
    retryAt: null,
    lastSyncedAt: EARLIER,
    lastSyncFailure: null,
    verificationState,
    verificationStartedAt: EARLIER,
    verificationRetryAt: null,
    verificationRetryCount: 0,
    verifiedAt: null,
    verificationChecksum: null,
    verificationFailure: null,
    checksumMismatch: false,
    verificationChecksumMismatched: null,
    ...overrides,
  };
}

describe('registry verification failure triggers a resync (§3.3)', () => {
  it.each([
    [0, 1, 16],
    [2, 3, 96],
    [9, 10, 3616],
  ])('verification_retry_count %i → %i; retry_count follows; retry_at in %i s', (previous, count, seconds) => {
    const next = applyRegistryVerificationEvent(
      registry('verification_started', { verificationRetryCount: previous }),
      { event: 'verification_failed', failure: 'boom' },
      ctx,
    );
    expect(next).toMatchObject({
      verificationState: 'verification_failed',
      verificationRetryCount: count,
      verificationRetryAt: secondsAfterNow(seconds),
      state: 'failed',
      retryCount: count,
      retryAt: secondsAfterNow(seconds),
      lastSyncFailure: 'Verification failed with: boom',
      verifiedAt: NOW,
    });
  });

  it('truncates last_sync_failure to 255', () => {
    const next = applyRegistryVerificationEvent(registry('verification_started'), { event: 'verification_failed', failure: 'q'.repeat(255) }, ctx);
    expect(next.verificationFailure).toBe('q'.repeat(255));
    expect(next.lastSyncFailure).toBe(`Verification failed with: ${'q'.repeat(226)}...`);
    expect(next.lastSyncFailure).toHaveLength(255);
  });

  it('succeeded clears the mismatch record as well', () => {
    const before = registry('verification_started', { checksumMismatch: true, verificationChecksumMismatched: SHA_LOCAL, verificationRetryCount: 2 });
    expect(applyRegistryVerificationEvent(before, { event: 'verification_succeeded', checksum: SHA_PRIMARY }, ctx)).toEqual({
      ...before,
      verificationState: 'verification_succeeded',
      verificationChecksum: SHA_PRIMARY,
      verifiedAt: NOW,
      verificationRetryCount: 0,
      checksumMismatch: false,
      verificationChecksumMismatched: null,
    });
  });

  it.each([
    ['verification_failed', true],
    ['verification_succeeded', false],
    ['verification_disabled', false],
  ] as const)('pending from %s keeps the mismatch record: %p', (from, kept) => {
    const before = registry(from, { checksumMismatch: true, verificationChecksumMismatched: SHA_LOCAL });
    const next = applyRegistryVerificationEvent(before, { event: 'verification_pending' }, ctx);
    expect(next.checksumMismatch).toBe(kept);
    expect(next.verificationChecksumMismatched).toBe(kept ? SHA_LOCAL : null);
  });

  it('still enforces the verification table', () => {
    expect(() => applyRegistryVerificationEvent(registry('verification_pending'), { event: 'verification_succeeded', checksum: 'x' }, ctx)).toThrow(
      InvalidTransitionError,
    );
  });
});

describe('checksum comparison on a secondary (§3.6)', () => {
  it('formats the mismatch text like GitLab (Ruby 3.3 Hash#inspect)', () => {
    expect(checksumMismatchFailure('99fc', '62fc', 12)).toBe(
      'Checksum does not match the primary checksum {:checksum=>"99fc", :primary_checksum=>"62fc", :registry_id=>12}',
    );
    expect(checksumMismatchFailure('99fc', null, null)).toBe(
      'Checksum does not match the primary checksum {:checksum=>"99fc", :primary_checksum=>nil, :registry_id=>nil}',
    );
  });

  it('fits two SHA-256 checksums untruncated', () => {
    const text = checksumMismatchFailure(SHA_LOCAL, SHA_PRIMARY, 123456);
    expect(text).toBe(`Checksum does not match the primary checksum {:checksum=>"${SHA_LOCAL}", :primary_checksum=>"${SHA_PRIMARY}", :registry_id=>123456}`);
    expect(text).toHaveLength(233);
  });

  it('truncates a longer mismatch text to 255', () => {
    const text = checksumMismatchFailure('c'.repeat(100), 'd'.repeat(100), 1);
    expect(text).toHaveLength(255);
    expect(text).toBe(`Checksum does not match the primary checksum {:checksum=>"${'c'.repeat(100)}", :primary_checksum=>"${'d'.repeat(71)}...`);
  });

  it('a match succeeds', () => {
    const next = applyRegistryChecksumResult(registry('verification_started'), { localChecksum: SHA_PRIMARY, primaryChecksum: SHA_PRIMARY, registryId: 5 }, ctx);
    expect(next).toMatchObject({ verificationState: 'verification_succeeded', verificationChecksum: SHA_PRIMARY, state: 'synced', checksumMismatch: false });
  });

  it('a mismatch records both checksums, fails verification and fails the sync for a re-download', () => {
    const before = registry('verification_started', { verificationRetryCount: 1 });
    const next = applyRegistryChecksumResult(before, { localChecksum: '012345', primaryChecksum: '012346', registryId: 5 }, ctx);
    const failure = 'Checksum does not match the primary checksum {:checksum=>"012345", :primary_checksum=>"012346", :registry_id=>5}';
    expect(next).toEqual({
      ...before,
      verificationState: 'verification_failed',
      verificationFailure: failure,
      verificationChecksum: '012345',
      verificationChecksumMismatched: '012345',
      checksumMismatch: true,
      verificationRetryCount: 2,
      verificationRetryAt: secondsAfterNow(31),
      verifiedAt: NOW,
      state: 'failed',
      retryCount: 2,
      retryAt: secondsAfterNow(31),
      lastSyncFailure: `Verification failed with: ${failure}`,
    });
  });

  it('a missing primary checksum is a mismatch', () => {
    const next = applyRegistryChecksumResult(registry('verification_started'), { localChecksum: SHA_LOCAL, primaryChecksum: null, registryId: 1 }, ctx);
    expect(next.verificationState).toBe('verification_failed');
    expect(next.state).toBe('failed');
  });
});

describe('beginRegistryVerification (ready_to_verify? gate)', () => {
  it('disables verification when the primary is not verified', () => {
    const before = registry('verification_pending');
    expect(beginRegistryVerification(before, false, ctx)).toEqual({ row: { ...before, verificationState: 'verification_disabled' }, proceed: false });
  });

  it('marks the row started when the primary is verified', () => {
    const before = registry('verification_pending');
    expect(beginRegistryVerification(before, true, ctx)).toEqual({
      row: { ...before, verificationState: 'verification_started', verificationStartedAt: NOW },
      proceed: true,
    });
  });

  it('keeps an already claimed row as it is', () => {
    const before = registry('verification_started');
    expect(beginRegistryVerification(before, true, ctx)).toEqual({ row: before, proceed: true });
  });
});
