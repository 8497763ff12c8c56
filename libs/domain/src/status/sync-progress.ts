import type { SyncActivity } from './health-rules';

/**
 * What the status service remembers between computations to judge `sync_stalled` (ADR 0007): the
 * synced count it last saw and when replication last made progress. The registry has no "synced at"
 * column (GitLab's `last_synced_at` is when the attempt started) and counting recent syncs would scan
 * it, so progress is read from the maintained synced count instead.
 */
export interface SyncProgress {
  /** Sum of `synced_count` over the replicable types at the last observation. */
  readonly syncedCount: number;
  readonly lastProgressAt: Date;
  readonly hasWork: boolean;
}

export interface SyncObservation {
  readonly at: Date;
  readonly syncedCount: number;
  /** Whether the scheduler has rows it would claim now (pending, started, or failed and due). */
  readonly hasWork: boolean;
}

/**
 * Folds one observation into the progress. Progress is a synced count above the previous one, or
 * no work at all (an idle site is not stalled). The first observation counts as progress: after a
 * restart of the status service a stall is reported one full limit later at most.
 *
 * A count that drops (rows deleted or sent back to pending) is no progress but resets the
 * baseline, so the next sync after it counts.
 */
export function observeSyncProgress(previous: SyncProgress | undefined, observation: SyncObservation): SyncProgress {
  const progressed = previous === undefined || !observation.hasWork || observation.syncedCount > previous.syncedCount;
  return {
    syncedCount: observation.syncedCount,
    hasWork: observation.hasWork,
    lastProgressAt: progressed || previous === undefined ? observation.at : previous.lastProgressAt,
  };
}

/** The health rule's view of the progress. */
export function syncActivity(progress: SyncProgress): SyncActivity {
  return { hasWork: progress.hasWork, lastProgressAt: progress.lastProgressAt };
}
