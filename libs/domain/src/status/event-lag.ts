/**
 * Where a secondary stands in the primary's event stream, as its durable consumer sees it: how many
 * events it has not applied yet and when the primary wrote the oldest of them.
 */
export interface UnappliedEvents {
  /** Events delivered but not acknowledged plus events not delivered yet. */
  readonly count: number;
  /**
   * `created_at` (on the primary) of the oldest unapplied event; null when it could not be read
   * (the message was removed by the stream's age limit between the two reads).
   */
  readonly oldestCreatedAt: Date | null;
}

/**
 * The event stream's lag (ADR 0007), our replacement for GitLab's `db_replication_lag_seconds`: the
 * age in whole seconds of the oldest event this secondary has not applied, 0 when it has applied
 * everything. Null when unknown (the oldest event could not be read). A clock behind the primary's
 * never yields a negative lag.
 */
export function eventLagSeconds(unapplied: UnappliedEvents, now: Date): number | null {
  if (unapplied.count <= 0) return 0;
  if (unapplied.oldestCreatedAt === null) return null;
  return Math.max(0, Math.floor((now.getTime() - unapplied.oldestCreatedAt.getTime()) / 1000));
}
