import { VERIFICATION_ERROR_MESSAGE, type VerificationState } from '@geo/domain';
import type { VerificationClaim } from '@geo/pg';
import { NOT_CHECKSUMMABLE_MESSAGE } from '../shared/blob-checksum';
import { verificationResultFor } from './verification-result';

const now = new Date('2026-11-25T12:00:00.000Z');
const startedAt = new Date('2026-11-25T11:59:00.000Z');
const SHA = 'a'.repeat(64);

function claim(retryCount: number, previous: Partial<{ state: VerificationState; failure: string; checksum: string }> = {}): VerificationClaim {
  return {
    state: {
      id: 7,
      modelId: 42,
      verificationState: previous.state ?? 'verification_started',
      verificationStartedAt: startedAt,
      verificationRetryAt: retryCount > 0 ? new Date('2026-11-25T11:00:00Z') : null,
      verificationRetryCount: retryCount,
      verifiedAt: null,
      verificationChecksum: previous.checksum ?? null,
      verificationFailure: previous.failure ?? null,
    },
    blob: { key: 'a/b/file.pdb', size: 10, fileStore: 1 },
  };
}

describe('verificationResultFor', () => {
  it('a checksum succeeds: checksum stored, verified_at now, failure fields cleared, claim token kept', () => {
    const result = verificationResultFor(claim(3, { failure: 'old' }), { kind: 'checksum', checksum: SHA }, { now, random: () => 0 });
    expect(result.next).toMatchObject({
      verificationState: 'verification_succeeded',
      verificationChecksum: SHA,
      verifiedAt: now,
      verificationRetryCount: 0,
      verificationRetryAt: null,
      verificationFailure: null,
      verificationStartedAt: startedAt,
    });
  });

  it.each([
    // retry count before, jitter, expected retry count, expected delay in seconds (n⁴ + 15 + jitter × (n + 1))
    [0, 0, 1, 16],
    [0, 29, 1, 16 + 29 * 2],
    [1, 0, 2, 31],
    [4, 10, 5, 625 + 15 + 10 * 6],
    // capped at 1 h + delay(1): min(10⁴ + 15, 3600 + 16)
    [9, 0, 10, 3616],
  ])('an error fails with GitLab text and backoff (retry %i, jitter %i → retry %i after %i s)', (before, jitter, after, delay) => {
    const result = verificationResultFor(claim(before), { kind: 'error', message: NOT_CHECKSUMMABLE_MESSAGE }, { now, random: () => jitter });
    expect(result.next).toMatchObject({
      verificationState: 'verification_failed',
      verificationFailure: `${VERIFICATION_ERROR_MESSAGE}: File is not checksummable`,
      verificationChecksum: null,
      verificationRetryCount: after,
      verificationRetryAt: new Date(now.getTime() + delay * 1000),
      verifiedAt: now,
    });
  });

  it('truncates a long error to 255 characters', () => {
    const result = verificationResultFor(claim(0), { kind: 'error', message: 'x'.repeat(400) }, { now, random: () => 0 });
    expect(result.next.verificationFailure).toHaveLength(255);
    expect(result.next.verificationFailure?.endsWith('...')).toBe(true);
  });

  it('refuses to succeed a row that is not started (the claim was lost)', () => {
    expect(() => verificationResultFor(claim(0, { state: 'verification_pending' }), { kind: 'checksum', checksum: SHA }, { now, random: () => 0 })).toThrow(
      /cannot verification_succeeded from verification_pending/,
    );
  });
});
