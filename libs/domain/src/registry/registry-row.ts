import type { TransitionContext } from '../state-machine';
import {
  applyVerificationEvent,
  type VerificationEventInput,
  type VerificationFields,
} from '../verification/verification-state';
import type { SyncState } from './sync-state';

/** Sync columns of a secondary registry row (`<name>_registry`). */
export interface RegistrySyncFields {
  readonly state: SyncState;
  /** Consecutive failed attempts; drives the backoff. Reset on pending and on synced. */
  readonly retryCount: number;
  /** Earliest time a failed row may be retried; NULL means "due now". */
  readonly retryAt: Date | null;
  /** When the latest sync attempt STARTED (not when it finished). NULL while never attempted. */
  readonly lastSyncedAt: Date | null;
  /** At most 255 characters (DB CHECK). */
  readonly lastSyncFailure: string | null;
}

/** Columns only registries have: the record of the last checksum mismatch with the primary. */
export interface RegistryMismatchFields {
  readonly checksumMismatch: boolean;
  readonly verificationChecksumMismatched: string | null;
}

/**
 * A verifiable registry row (every blob registry is verifiable). Adapters may pass rows with more
 * properties (id, model id); transitions carry them over unchanged.
 */
export interface RegistryRow extends RegistrySyncFields, VerificationFields, RegistryMismatchFields {}

/**
 * The verification machine as a registry runs it, WITHOUT the §3.3 resync on failure: wherever the
 * base machine clears the failure fields (to succeeded; to pending from anything but failed) the
 * registry also clears `checksum_mismatch` and `verification_checksum_mismatched`
 * (GitLab `VerifiableRegistry#clear_verification_failure_fields!`).
 */
export function applyRegistryVerificationTransition<R extends RegistryRow>(row: R, input: VerificationEventInput, ctx: TransitionContext): R {
  const from = row.verificationState;
  const next = applyVerificationEvent(row, input, ctx);
  const clearsFailureFields =
    input.event === 'verification_succeeded' || (input.event === 'verification_pending' && from !== 'verification_failed');
  return clearsFailureFields ? { ...next, checksumMismatch: false, verificationChecksumMismatched: null } : next;
}
