import {
  applyRegistryChecksumResult,
  applyRegistryVerificationEvent,
  beginRegistryVerification,
  ErrorCodes,
  GeoError,
  verificationErrorEvent,
  type ReplicableRecord,
  type TransitionContext,
} from '@geo/domain';
import type { RegistryVerificationClaim, RegistryVerificationResult } from '@geo/pg';
import type { ChecksumOutcome } from '../shared/blob-checksum';

/**
 * Failure text (after "Error during verification: ") of a synced registry whose
 * `geo_replicable_records` row is missing: this site does not know which blob to read. Failing it
 * resyncs it, and the consistency sweep restores the record on its next pass.
 */
export const NO_LOCAL_RECORD_MESSAGE = 'the record of the blob is missing on this site';

/**
 * The primary's checksum to compare with (GitLab `ready_to_verify?`: the primary's copy is
 * `verification_succeeded`), or null when there is nothing valid to compare with: the record is not
 * verified on the primary, or the primary's catalogue does not answer it at all (deleted there, or
 * outside this site's scope: the `deleted` event or the consistency sweep removes the registry).
 */
export function comparablePrimaryChecksum(record: ReplicableRecord | undefined): string | null {
  if (record === undefined || record.primaryVerificationState !== 'verification_succeeded') return null;
  return record.primaryChecksum;
}

/**
 * The row a claim ends in (GitLab `VerifiableRegistry#track_checksum_attempt!` and
 * `track_checksum_result!` on a secondary):
 * - no succeeded checksum on the primary → `verification_disabled`, nothing else changes (`local`
 *   is then ignored and may be undefined: nothing was read);
 * - local checksum equal to the primary's → `verification_succeeded` with `verified_at = now`;
 * - different → GitLab's mismatch handling: failure text with both checksums and the registry id,
 *   `verification_checksum` = `verification_checksum_mismatched` = the local value,
 *   `checksum_mismatch = true`, verification failed with backoff, and sync failed with
 *   `retry_count = verification_retry_count` and the same backoff (spec §3.3), so the blob is
 *   downloaded again;
 * - the local blob could not be read (missing, I/O error) → "Error during verification: <message>",
 *   checksum NULL, and the same resync.
 */
export function registryVerificationResultFor(
  claim: RegistryVerificationClaim,
  primaryChecksum: string | null,
  local: ChecksumOutcome | undefined,
  ctx: TransitionContext,
): RegistryVerificationResult {
  const begun = beginRegistryVerification(claim.row, primaryChecksum !== null, ctx);
  if (!begun.proceed || primaryChecksum === null) return { claim, next: begun.row };
  if (local === undefined) throw new GeoError(ErrorCodes.INTERNAL, `registry row ${claim.row.id} was compared without a local checksum outcome`);
  const outcome = local;
  const next =
    outcome.kind === 'checksum'
      ? applyRegistryChecksumResult(begun.row, { localChecksum: outcome.checksum, primaryChecksum, registryId: claim.row.id }, ctx)
      : applyRegistryVerificationEvent(begun.row, verificationErrorEvent(outcome.message), ctx);
  return { claim, next };
}
