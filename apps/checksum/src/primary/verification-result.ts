import { applyVerificationEvent, verificationErrorEvent, type TransitionContext, type VerificationEventInput } from '@geo/domain';
import type { VerificationClaim, VerificationResult } from '@geo/pg';
import type { ChecksumOutcome } from '../shared/blob-checksum';

/**
 * The row a claim ends in (GitLab `track_checksum_attempt!`): a checksum moves it to succeeded
 * (failure fields cleared, `verified_at = now`); an error moves it to failed with
 * "Error during verification: <message>" (≤255), checksum NULL, retry count + 1 and the backoff.
 */
export function verificationResultFor(claim: VerificationClaim, outcome: ChecksumOutcome, ctx: TransitionContext): VerificationResult {
  const event: VerificationEventInput =
    outcome.kind === 'checksum' ? { event: 'verification_succeeded', checksum: outcome.checksum } : verificationErrorEvent(outcome.message);
  return { claim, next: applyVerificationEvent(claim.state, event, ctx) };
}
