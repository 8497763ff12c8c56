import { InvalidTransitionError } from '../errors/geo-error';
import { smallintEnum, type TransitionContext, type TransitionRule } from '../state-machine';
import { failureText, truncate } from '../text/truncate';
import { DEFAULT_MAX_RETRY_WAIT_SECONDS, MISSING_ON_PRIMARY_MAX_RETRY_WAIT_SECONDS, nextRetryTime } from './backoff';
import { applyRegistryVerificationTransition, type RegistryRow, type RegistrySyncFields } from './registry-row';

/**
 * Replication (sync) state of a secondary registry row: GitLab `Geo::ReplicableRegistry`
 * `STATE_VALUES`. Stored as smallint; the values never change meaning.
 */
export const SyncStates = {
  /** Initial. Needs a download; picked first by the scheduler when `last_synced_at` is NULL. */
  pending: 0,
  /** A download is in progress since `last_synced_at`; failed by the timeout sweep after 8 h. */
  started: 1,
  /** The blob is present locally. Only reachable from `started` through a compare-and-set. */
  synced: 2,
  /** The last attempt failed (`last_sync_failure`); retried once `retry_at` has passed. */
  failed: 3,
} as const;

export type SyncState = keyof typeof SyncStates;

const syncStateEnum = smallintEnum('registry state', SyncStates);
export const SYNC_STATE_NAMES = syncStateEnum.names;
export const encodeSyncState = syncStateEnum.encode;
export const decodeSyncState = syncStateEnum.decode;

export const SYNC_EVENTS = ['pending', 'start', 'failed', 'resync', 'synced'] as const;
export type SyncEvent = (typeof SYNC_EVENTS)[number];

/**
 * Explicit from-states (GitLab's newer `replicable_registry.rb`).
 * - `start` from `started` is rejected: a second worker must not start a download already running.
 * - `synced` is only legal from `started`. In storage it is the compare-and-set
 *   `UPDATE … SET state = 2, … WHERE <fk> = $id AND state = 1`: when a `pending` event landed
 *   during the download (mutable types), the update matches no row, the result must be dropped,
 *   and the row is synced again later. Adapters must write the row returned for `synced` with that
 *   `WHERE state = 1` guard and apply nothing when zero rows were updated.
 */
export const SYNC_TRANSITIONS: { readonly [E in SyncEvent]: TransitionRule<SyncState> } = {
  pending: { from: ['pending', 'started', 'synced', 'failed'], to: 'pending' },
  start: { from: ['pending', 'synced', 'failed'], to: 'started' },
  failed: { from: ['pending', 'started', 'synced', 'failed'], to: 'failed' },
  resync: { from: ['synced', 'failed'], to: 'pending' },
  synced: { from: ['started'], to: 'synced' },
};

export function canApplySyncEvent(from: SyncState, event: SyncEvent): boolean {
  return SYNC_TRANSITIONS[event].from.includes(from);
}

/** What a sync event carries. */
export type SyncEventInput =
  | { readonly event: 'pending' }
  | { readonly event: 'start' }
  | { readonly event: 'resync' }
  | {
      readonly event: 'failed';
      /** Becomes `last_sync_failure` (with `": " + errorMessage` when given), truncated to 255. */
      readonly message: string;
      readonly errorMessage?: string;
      /** The primary has no file: back off up to 4 h instead of 1 h. */
      readonly missingOnPrimary?: boolean;
    }
  | {
      readonly event: 'synced';
      /** Whether the primary's copy is `verification_succeeded` (GitLab `ready_to_verify?`). */
      readonly primaryVerificationSucceeded: boolean;
    };

/**
 * The `before_transition any => :failed` hook: bump the retry count and schedule the retry.
 * Exported for the registry verification failure path (§3.3), which fires `failed` without a message.
 */
export function enterSyncFailed<R extends RegistrySyncFields>(row: R, ctx: TransitionContext, capSeconds: number = DEFAULT_MAX_RETRY_WAIT_SECONDS): R {
  const retryCount = row.retryCount + 1;
  return { ...row, state: 'failed', retryCount, retryAt: nextRetryTime(retryCount, ctx.now, { capSeconds, random: ctx.random }) };
}

/**
 * Applies one sync event to a verifiable registry row with GitLab's side effects and returns the
 * new row. Throws `InvalidTransitionError` when `SYNC_TRANSITIONS` rejects it.
 * - to started: `last_synced_at = now`.
 * - to pending (`pending`, `resync`): retry fields and `last_synced_at` cleared, verification disabled
 *   (nothing to verify until the file is back).
 * - to failed: failure text, retry count + 1, `retry_at` by backoff (cap 4 h when missing on primary).
 * - to synced: retry fields and failure cleared, then verification pending when the primary's copy
 *   is verified, otherwise disabled.
 */
export function applySyncEvent<R extends RegistryRow>(row: R, input: SyncEventInput, ctx: TransitionContext): R {
  if (!canApplySyncEvent(row.state, input.event)) {
    throw new InvalidTransitionError('registry state', input.event, row.state);
  }
  switch (input.event) {
    case 'start':
      return { ...row, state: 'started', lastSyncedAt: ctx.now };
    case 'pending':
    case 'resync': {
      const pending: R = { ...row, state: 'pending', retryAt: null, retryCount: 0, lastSyncedAt: null };
      return applyRegistryVerificationTransition(pending, { event: 'verification_disabled' }, ctx);
    }
    case 'failed': {
      const withText: R = { ...row, lastSyncFailure: failureText(input.message, input.errorMessage) };
      const cap = input.missingOnPrimary === true ? MISSING_ON_PRIMARY_MAX_RETRY_WAIT_SECONDS : DEFAULT_MAX_RETRY_WAIT_SECONDS;
      return enterSyncFailed(withText, ctx, cap);
    }
    case 'synced': {
      const synced: R = { ...row, state: 'synced', retryCount: 0, lastSyncFailure: null, retryAt: null };
      const event = input.primaryVerificationSucceeded ? 'verification_pending' : 'verification_disabled';
      return applyRegistryVerificationTransition(synced, { event }, ctx);
    }
  }
}

/** The columns the sync timeout sweep writes in bulk (`update_all`: no callbacks fire). */
export interface SyncTimeoutValues {
  readonly state: 'failed';
  readonly lastSyncFailure: string;
  readonly retryCount: 1;
  readonly retryAt: Date;
}

/**
 * Values for rows `started` longer than the sync timeout (GitLab `fail_sync_timeouts`). The text
 * prints the timeout in seconds: "Sync timed out after 28800". One `retry_at` for the whole sweep.
 */
export function syncTimeoutValues(timeoutSeconds: number, ctx: TransitionContext): SyncTimeoutValues {
  return {
    state: 'failed',
    lastSyncFailure: truncate(`Sync timed out after ${timeoutSeconds}`),
    retryCount: 1,
    retryAt: nextRetryTime(1, ctx.now, { random: ctx.random }),
  };
}

/** `sync_timed_out` scope: started, and `last_synced_at < now − timeout`. */
export function isSyncTimedOut(row: Pick<RegistrySyncFields, 'state' | 'lastSyncedAt'>, now: Date, timeoutSeconds: number): boolean {
  return row.state === 'started' && row.lastSyncedAt !== null && row.lastSyncedAt.getTime() < now.getTime() - timeoutSeconds * 1000;
}
