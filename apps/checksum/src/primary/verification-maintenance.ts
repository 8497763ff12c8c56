import { mathRandomJitter, verificationTimeoutValues, type JitterSource, type ReplicableDefinition } from '@geo/domain';
import type { VerificationStateRepository } from '@geo/pg';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Default time one backfill run may take before it yields (the cursor carries on next run). */
export const DEFAULT_BACKFILL_BUDGET_MS = 10_000;

export interface BackfillReport {
  readonly inserted: number;
  readonly deleted: number;
  /** Model rows walked in this run. */
  readonly ranges: number;
  /** True when the walk reached the end of the model table (the cursor restarts at 0). */
  readonly passCompleted: boolean;
}

export interface VerificationMaintenanceOptions {
  readonly replicable: ReplicableDefinition;
  readonly states: Pick<VerificationStateRepository, 'failTimedOut' | 'markStaleSucceededPending' | 'backfillRange'>;
  readonly clock?: () => Date;
  readonly random?: JitterSource;
  /** How long one `backfill()` may walk before returning; default 10 s. */
  readonly backfillBudgetMs?: number;
}

/**
 * The primary's periodic verification upkeep for one type (GitLab's cron: VerificationTimeoutWorker,
 * ReverificationBatchWorker, VerificationStateBackfillWorker). Each step is one method so the worker
 * runs, times and reports them independently.
 */
export class VerificationMaintenance {
  private readonly clock: () => Date;
  private readonly random: JitterSource;
  private readonly backfillBudgetMs: number;
  /** Highest model id the backfill has walked; in memory, so a restart walks again from the start. */
  private backfillCursor = 0;

  constructor(private readonly options: VerificationMaintenanceOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? mathRandomJitter;
    this.backfillBudgetMs = options.backfillBudgetMs ?? DEFAULT_BACKFILL_BUDGET_MS;
  }

  /** Rows started longer than the type's timeout (8 h) become failed: "Verification timed out after 28800". */
  async sweepTimeouts(): Promise<number> {
    const now = this.clock();
    const timeoutSeconds = this.options.replicable.verification.timeoutSeconds;
    const values = verificationTimeoutValues(timeoutSeconds, { now, random: this.random });
    return this.options.states.failTimedOut(new Date(now.getTime() - timeoutSeconds * 1000), values);
  }

  /** Up to one reverification batch (1000) of rows verified before `now − interval days` become pending. */
  async reverifyStale(minimumReverificationIntervalDays: number): Promise<number> {
    const cutoff = new Date(this.clock().getTime() - minimumReverificationIntervalDays * DAY_MS);
    return this.options.states.markStaleSucceededPending(cutoff, this.options.replicable.verification.reverificationBatchSize);
  }

  /**
   * Walks the model table in id ranges of the backfill batch size (1000) from where the last run
   * stopped, until the end of the table or the time budget; creates missing state rows and deletes
   * orphaned ones.
   */
  async backfill(): Promise<BackfillReport> {
    const deadline = Date.now() + this.backfillBudgetMs;
    const batchSize = this.options.replicable.verification.backfillBatchSize;
    let inserted = 0;
    let deleted = 0;
    let ranges = 0;
    for (;;) {
      const step = await this.options.states.backfillRange(this.backfillCursor, batchSize);
      inserted += step.inserted;
      deleted += step.deleted;
      if (step.lastModelId === null) {
        this.backfillCursor = 0;
        return { inserted, deleted, ranges, passCompleted: true };
      }
      ranges += 1;
      this.backfillCursor = step.lastModelId;
      if (Date.now() >= deadline) return { inserted, deleted, ranges, passCompleted: false };
    }
  }
}
