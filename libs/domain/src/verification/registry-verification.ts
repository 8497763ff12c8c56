import { applyRegistryVerificationTransition, type RegistryRow } from '../registry/registry-row';
import { enterSyncFailed } from '../registry/sync-state';
import { truncate } from '../text/truncate';
import type { TransitionContext } from '../state-machine';
import type { VerificationEventInput } from './verification-state';

/**
 * Verification on a secondary registry (GitLab `Geo::VerifiableRegistry`): the base machine plus
 * mismatch bookkeeping, and every verification failure turned into a sync failure so the file is
 * downloaded again with a growing backoff.
 */

/** Prefix of `last_sync_failure` when a verification failure forces a resync. */
export const VERIFICATION_FAILED_SYNC_PREFIX = 'Verification failed with: ';

/** GitLab's log/failure message for a checksum that differs from the primary's. */
export const CHECKSUM_MISMATCH_MESSAGE = 'Checksum does not match the primary checksum';

/**
 * Applies a verification event to a registry row. On `verification_failed` (GitLab
 * `before_verification_failed`), after the usual failure fields:
 * 1. `retry_count = verification_retry_count − 1`,
 * 2. `last_sync_failure = "Verification failed with: <failure>"` (truncated to 255),
 * 3. the sync `failed` event fires (allowed from every sync state), adding 1, so `retry_count`
 *    ends equal to `verification_retry_count` and `retry_at` follows the 1 h-capped backoff.
 */
export function applyRegistryVerificationEvent<R extends RegistryRow>(row: R, input: VerificationEventInput, ctx: TransitionContext): R {
  const next = applyRegistryVerificationTransition(row, input, ctx);
  if (input.event !== 'verification_failed') return next;
  const resync: R = {
    ...next,
    retryCount: next.verificationRetryCount - 1,
    lastSyncFailure: truncate(`${VERIFICATION_FAILED_SYNC_PREFIX}${next.verificationFailure ?? ''}`),
  };
  return enterSyncFailed(resync, ctx);
}

/** Ruby 3.3 `Hash#inspect` of a value: strings double-quoted, nil as `nil`. */
function rubyInspect(value: string | number | null): string {
  if (value === null) return 'nil';
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

/**
 * `"#{message} #{details}".truncate(255)` with `details = { checksum:, primary_checksum:, registry_id: }`
 * rendered by Ruby 3.3's `Hash#inspect`, e.g.
 * `Checksum does not match the primary checksum {:checksum=>"ab", :primary_checksum=>"cd", :registry_id=>7}`.
 * (Ruby 3.4 would print `{checksum: "ab", …}`; GitLab's specs show the 3.3 form.)
 */
export function checksumMismatchFailure(localChecksum: string, primaryChecksum: string | null, registryId: number | string | null): string {
  const details = `{:checksum=>${rubyInspect(localChecksum)}, :primary_checksum=>${rubyInspect(primaryChecksum)}, :registry_id=>${rubyInspect(registryId)}}`;
  return truncate(`${CHECKSUM_MISMATCH_MESSAGE} ${details}`);
}

export interface ChecksumComparison {
  /** The checksum computed on this secondary. */
  readonly localChecksum: string;
  /** The primary's `verification_checksum` (from the replicated main DB / the primary's state row). */
  readonly primaryChecksum: string | null;
  /** Registry row id, quoted in the failure text. */
  readonly registryId: number | string | null;
}

/**
 * The outcome of a secondary checksum (GitLab `track_checksum_result!`): equal strings → succeeded;
 * otherwise `verification_failed_due_to_mismatch!` (failure text, `verification_checksum` and
 * `verification_checksum_mismatched` = the local value, `checksum_mismatch = true`), which fails the
 * row and forces a resync. The row must be `verification_started` for the success path.
 */
export function applyRegistryChecksumResult<R extends RegistryRow>(row: R, comparison: ChecksumComparison, ctx: TransitionContext): R {
  const { localChecksum, primaryChecksum, registryId } = comparison;
  if (primaryChecksum !== null && localChecksum === primaryChecksum) {
    return applyRegistryVerificationEvent(row, { event: 'verification_succeeded', checksum: localChecksum }, ctx);
  }
  const marked: R = { ...row, checksumMismatch: true, verificationChecksumMismatched: localChecksum };
  return applyRegistryVerificationEvent(
    marked,
    { event: 'verification_failed', failure: checksumMismatchFailure(localChecksum, primaryChecksum, registryId), checksum: localChecksum },
    ctx,
  );
}

/**
 * The secondary's gate before checksumming (`track_checksum_attempt!` override): without a succeeded
 * checksum on the primary there is nothing to compare with, so the row becomes
 * `verification_disabled` and `proceed` is false. Otherwise the row is marked started (if not yet).
 */
export function beginRegistryVerification<R extends RegistryRow>(
  row: R,
  primaryVerificationSucceeded: boolean,
  ctx: TransitionContext,
): { readonly row: R; readonly proceed: boolean } {
  if (!primaryVerificationSucceeded) {
    return { row: applyRegistryVerificationEvent(row, { event: 'verification_disabled' }, ctx), proceed: false };
  }
  if (row.verificationState === 'verification_started') return { row, proceed: true };
  return { row: applyRegistryVerificationEvent(row, { event: 'verification_started' }, ctx), proceed: true };
}
