import { InvalidTransitionError, ValidationError } from '../errors/geo-error';
import { DEFAULT_MAX_RETRY_WAIT_SECONDS, nextRetryTime } from '../registry/backoff';
import { smallintEnum, type TransitionContext, type TransitionRule } from '../state-machine';
import { failureText, truncate } from '../text/truncate';

/**
 * Verification state machine shared by the primary's `*_states` table and the secondary's registry
 * (GitLab `Geo::VerificationStateDefinition` / `Geo::VerificationState`). Values are stored as
 * smallints and never change meaning.
 */
export const VerificationStates = {
  /** Initial. Waiting to be checksummed (primary) or compared with the primary (secondary). */
  verification_pending: 0,
  /** Claimed by a verification batch; `verification_started_at` says when (timeout after 8 h). */
  verification_started: 1,
  /** `verification_checksum` is set and (on a secondary) equals the primary's checksum. */
  verification_succeeded: 2,
  /** `verification_failure` says why; retried after `verification_retry_at` with backoff. */
  verification_failed: 3,
  /**
   * Not verified on purpose. On a secondary: the primary has no succeeded checksum to compare with
   * yet, or the row is (re)syncing. Excluded from `verification_total_count`.
   */
  verification_disabled: 4,
} as const;

export type VerificationState = keyof typeof VerificationStates;

const verificationStateEnum = smallintEnum('verification_state', VerificationStates);
export const VERIFICATION_STATE_NAMES = verificationStateEnum.names;
export const encodeVerificationState = verificationStateEnum.encode;
export const decodeVerificationState = verificationStateEnum.decode;

/** Events are named after their target state, as in GitLab. */
export const VERIFICATION_EVENTS = [
  'verification_started',
  'verification_succeeded',
  'verification_failed',
  'verification_disabled',
  'verification_pending',
] as const;
export type VerificationEvent = (typeof VERIFICATION_EVENTS)[number];

/**
 * Explicit from-states. Only `verification_succeeded` is restricted: a checksum is accepted only
 * from a row that was claimed (`verification_started`), so a stale worker cannot mark a row
 * succeeded after it was re-queued.
 */
export const VERIFICATION_TRANSITIONS: { readonly [E in VerificationEvent]: TransitionRule<VerificationState> } = {
  verification_started: { from: VERIFICATION_STATE_NAMES, to: 'verification_started' },
  verification_succeeded: { from: ['verification_started'], to: 'verification_succeeded' },
  verification_failed: { from: VERIFICATION_STATE_NAMES, to: 'verification_failed' },
  verification_disabled: { from: VERIFICATION_STATE_NAMES, to: 'verification_disabled' },
  verification_pending: { from: VERIFICATION_STATE_NAMES, to: 'verification_pending' },
};

export function canApplyVerificationEvent(from: VerificationState, event: VerificationEvent): boolean {
  return VERIFICATION_TRANSITIONS[event].from.includes(from);
}

/** The verification columns common to `*_states` rows and registry rows. */
export interface VerificationFields {
  readonly verificationState: VerificationState;
  readonly verificationStartedAt: Date | null;
  readonly verificationRetryAt: Date | null;
  readonly verificationRetryCount: number;
  readonly verifiedAt: Date | null;
  /** Lowercase hex SHA-256, or the even-length padded size string for object-stored files. */
  readonly verificationChecksum: string | null;
  /** At most 255 characters (DB CHECK). */
  readonly verificationFailure: string | null;
}

/** What an event carries. `succeeded` needs the checksum, `failed` the failure text (GitLab validations). */
export type VerificationEventInput =
  | { readonly event: 'verification_started' }
  | { readonly event: 'verification_succeeded'; readonly checksum: string }
  | {
      readonly event: 'verification_failed';
      readonly failure: string;
      /** New checksum value; `undefined` keeps the current one. GitLab sets NULL on errors, the local value on mismatch. */
      readonly checksum?: string | null;
    }
  | { readonly event: 'verification_disabled' }
  | { readonly event: 'verification_pending' };

/** The fields that `clear_verification_failure_fields!` resets on every verifiable row. */
function clearedFailureFields(): Pick<VerificationFields, 'verificationRetryCount' | 'verificationRetryAt' | 'verificationFailure'> {
  return { verificationRetryCount: 0, verificationRetryAt: null, verificationFailure: null };
}

/**
 * Applies one verification event with GitLab's `before_transition` side effects and returns the new
 * row (other properties of `row` are carried over). Throws `InvalidTransitionError` when the table
 * rejects the event and `ValidationError` when a required checksum or failure text is missing.
 *
 * This is the base machine (primary `*_states` rows). Registries add checksum-mismatch clearing and
 * the resync of §3.3: use `applyRegistryVerificationEvent` for them.
 */
export function applyVerificationEvent<R extends VerificationFields>(row: R, input: VerificationEventInput, ctx: TransitionContext): R {
  const from = row.verificationState;
  if (!canApplyVerificationEvent(from, input.event)) {
    throw new InvalidTransitionError('verification_state', input.event, from);
  }
  switch (input.event) {
    case 'verification_started':
      return { ...row, verificationState: 'verification_started', verificationStartedAt: ctx.now };
    case 'verification_succeeded':
      if (input.checksum === '') throw new ValidationError('verification_succeeded requires a checksum');
      return {
        ...row,
        ...clearedFailureFields(),
        verificationState: 'verification_succeeded',
        verificationChecksum: input.checksum,
        verifiedAt: ctx.now,
      };
    case 'verification_failed': {
      if (input.failure === '') throw new ValidationError('verification_failed requires a failure text');
      // GitLab's model would refuse a >255 text; truncating keeps the DB CHECK satisfied either way.
      const retryCount = row.verificationRetryCount + 1;
      return {
        ...row,
        verificationState: 'verification_failed',
        verificationFailure: truncate(input.failure),
        verificationChecksum: input.checksum === undefined ? row.verificationChecksum : input.checksum,
        verificationRetryCount: retryCount,
        verificationRetryAt: nextRetryTime(retryCount, ctx.now, { capSeconds: DEFAULT_MAX_RETRY_WAIT_SECONDS, random: ctx.random }),
        verifiedAt: ctx.now,
      };
    }
    case 'verification_disabled':
      return { ...row, verificationState: 'verification_disabled' };
    case 'verification_pending':
      // From failed only the text is cleared: keeping retry count/time gives repeated failures
      // (e.g. a secondary that keeps mismatching) a progressive backoff.
      return from === 'verification_failed'
        ? { ...row, verificationState: 'verification_pending', verificationFailure: null }
        : { ...row, ...clearedFailureFields(), verificationState: 'verification_pending' };
  }
}

/** `verification_failed_with_message!` on the primary's checksum error path. */
export const VERIFICATION_ERROR_MESSAGE = 'Error during verification';

/**
 * Event for "the checksum calculation raised": failure "Error during verification: <msg>"
 * (truncated to 255) and checksum NULL.
 */
export function verificationErrorEvent(errorMessage: string): VerificationEventInput {
  return verificationFailedWithMessage(VERIFICATION_ERROR_MESSAGE, errorMessage);
}

/** GitLab `verification_failed_with_message!(message, error)`: text + optional ": error", checksum NULL. */
export function verificationFailedWithMessage(message: string, errorMessage?: string): VerificationEventInput {
  return { event: 'verification_failed', failure: failureText(message, errorMessage), checksum: null };
}

/**
 * After a checksum succeeded, GitLab re-reads `verification_started_at`: if it is later than when the
 * calculation started, the record was re-marked meanwhile and must go back to pending.
 */
export function updatedDuringChecksum(reloadedStartedAt: Date | null, calculationStartedAt: Date): boolean {
  return reloadedStartedAt !== null && reloadedStartedAt.getTime() > calculationStartedAt.getTime();
}

/** The columns the verification timeout sweep writes in bulk (no callbacks, so no resync on secondaries). */
export interface VerificationTimeoutValues {
  readonly verificationState: 'verification_failed';
  readonly verificationFailure: string;
  readonly verificationChecksum: null;
  readonly verificationRetryCount: 1;
  readonly verificationRetryAt: Date;
  readonly verifiedAt: Date;
}

/**
 * Values for rows `verification_started` longer than the timeout (GitLab's newer bulk
 * `update_all`). The text prints the timeout in seconds: "Verification timed out after 28800".
 */
export function verificationTimeoutValues(timeoutSeconds: number, ctx: TransitionContext): VerificationTimeoutValues {
  return {
    verificationState: 'verification_failed',
    verificationFailure: truncate(`Verification timed out after ${timeoutSeconds}`),
    verificationChecksum: null,
    verificationRetryCount: 1,
    verificationRetryAt: nextRetryTime(1, ctx.now, { random: ctx.random }),
    verifiedAt: ctx.now,
  };
}

/** `verification_timed_out` scope: started, and started before `now − timeout`. */
export function isVerificationTimedOut(row: Pick<VerificationFields, 'verificationState' | 'verificationStartedAt'>, now: Date, timeoutSeconds: number): boolean {
  return (
    row.verificationState === 'verification_started' &&
    row.verificationStartedAt !== null &&
    row.verificationStartedAt.getTime() < now.getTime() - timeoutSeconds * 1000
  );
}
