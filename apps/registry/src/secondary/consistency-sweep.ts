import {
  abortableSleep,
  errorFields,
  isGeoError,
  retryDelayMs,
  ValidationError,
  type LoggerPort,
  type ReplicableDefinition,
  type ReplicableRecord,
  type RetryDelayPolicy,
} from '@geo/domain';
import type { RegistrySweepRepository } from '@geo/pg';
import { BackgroundTask, type Component } from '@geo/service-kit';
import type { BlobStore } from '@geo/storage';
import type { SecondaryCatalogue } from './catalogue-port';
import type { NudgePublisher } from './nudges';

/** GitLab `RegistryConsistencyWorker::BATCH_SIZE`: ids per range. */
export const DEFAULT_SWEEP_RANGE_SIZE = 10_000;
/** GitLab runs the consistency worker every minute once a pass finds nothing. */
export const DEFAULT_SWEEP_INTERVAL_MS = 60_000;
/** Backoff while the primary (or the database) is unreachable: 1 s doubling to 1 min. */
export const DEFAULT_SWEEP_RETRY_DELAY: RetryDelayPolicy = { initialMs: 1000, maxMs: 60_000 };
/** Blob deletions running at once while removing a range's orphans. */
const BLOB_DELETE_CONCURRENCY = 8;

/** What one range step did. */
export interface SweepStepReport {
  readonly from: number;
  readonly to: number;
  /** Records the primary listed in the range (already scoped to this site). */
  readonly listed: number;
  /** Registry rows inserted as pending (records stored with them). */
  readonly inserted: number;
  /** Half-tracked ids completed: a registry row without its record or a record without its registry. */
  readonly repaired: number;
  /** Ids removed (no longer on the primary, or out of this site's scope): registry and record rows. */
  readonly removed: number;
  readonly blobsDeleted: number;
  /** Blobs whose deletion failed after their rows were removed: left as orphans (logged with their keys). */
  readonly blobDeleteFailures: number;
  /** This step reached the end of the id space; the cursor is back at 1. */
  readonly passEnded: boolean;
}

/** Totals of one pass over the whole id space. */
export interface SweepPassReport {
  readonly ranges: number;
  readonly inserted: number;
  readonly repaired: number;
  readonly removed: number;
  readonly blobsDeleted: number;
  readonly blobDeleteFailures: number;
  /** Anything inserted, repaired or removed: the next pass starts at once (GitLab's Reenqueuer). */
  readonly changed: boolean;
}

export interface ConsistencySweepOptions {
  readonly replicable: ReplicableDefinition;
  readonly catalogue: Pick<SecondaryCatalogue, 'listReplicables' | 'describeCatalog'>;
  readonly registry: Pick<RegistrySweepRepository, 'trackedInRange' | 'maxTrackedModelId' | 'track' | 'untrack'>;
  /** The site's blob store (orphans' blobs are deleted from it). */
  readonly blobs: Pick<BlobStore, 'delete'>;
  /** Wakes the scheduler after new pending rows; optional (the scheduler polls anyway). */
  readonly nudges?: NudgePublisher;
  readonly logger: LoggerPort;
  /** Pause between passes once a pass changed nothing; default 60 s. */
  readonly intervalMs?: number;
  /** Ids per range; default 10,000. */
  readonly rangeSize?: number;
  /** Backoff after failures (primary or database down); default 1 s doubling to 60 s. */
  readonly retryDelay?: RetryDelayPolicy;
  /** Called after every pass (tests, metrics). */
  readonly onPass?: (report: SweepPassReport) => void;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ValidationError(`${name} must be a positive integer, got ${value}`);
  return value;
}

interface PassState {
  /** Last id of the pass: max(primary's max model id, largest tracked id) when the pass began. */
  readonly end: number;
  ranges: number;
  inserted: number;
  repaired: number;
  removed: number;
  blobsDeleted: number;
  blobDeleteFailures: number;
}

/**
 * The secondary's consistency sweep for one type (spec §6, DESIGN §4 flow 4): backfill and orphan
 * removal by id ranges, against the primary's catalogue instead of a replicated model table.
 *
 * Each step covers [cursor, cursor + rangeSize − 1]:
 * 1. tracked = the ids with a registry or record row in the range, read FIRST, so a row the event
 *    consumer inserts for a brand-new record while the step runs is never mistaken for an orphan;
 * 2. source = `ListReplicables(range)`, already scoped by the primary;
 * 3. untracked (and half-tracked) → one transaction: pending registry rows + records;
 * 4. unused (tracked − source: deleted on the primary, or out of scope since the site's selective
 *    sync narrowed) → one transaction deletes registry and record rows and returns the records'
 *    blob keys, THEN the blobs are deleted. Crash-safety: rows go first, so no registry can point
 *    at a deleted blob. A crash (or a failing blob store) between the two leaves an orphan blob
 *    without rows; nothing references it any more, so later passes cannot find it (accepted: a
 *    storage-level orphan scan would be the remedy). An unused id without a record row has no
 *    known blob key: its blob, if any, is left and logged.
 * The cursor then moves to the range's end + 1; past the pass's end it wraps to 1 and the pass
 * ends. Passes repeat at once while the last one changed anything, then every `intervalMs`.
 * Failures (primary down, database down) are logged and retried with backoff from the same
 * range; the component never stops on its own. The cursor lives in memory: a restart begins a new
 * pass at 1, which is harmless (every step is idempotent).
 */
/** Records tracked per transaction while a range streams in. */
const TRACK_CHUNK_SIZE = 1000;

export class ConsistencySweep implements Component {
  readonly name: string;
  private readonly intervalMs: number;
  private readonly rangeSize: number;
  private readonly retryDelay: RetryDelayPolicy;
  private cursor = 1;
  private pass: PassState | undefined;
  private readonly task: BackgroundTask;

  constructor(private readonly options: ConsistencySweepOptions) {
    this.name = `consistency-sweep:${options.replicable.name}`;
    this.task = new BackgroundTask(this.name, (signal) => this.loop(signal));
    this.intervalMs = positiveInteger('intervalMs', options.intervalMs ?? DEFAULT_SWEEP_INTERVAL_MS);
    this.rangeSize = positiveInteger('rangeSize', options.rangeSize ?? DEFAULT_SWEEP_RANGE_SIZE);
    this.retryDelay = options.retryDelay ?? DEFAULT_SWEEP_RETRY_DELAY;
    retryDelayMs(1, this.retryDelay); // validates the policy up front
  }

  async start(): Promise<void> {
    this.task.start();
  }

  /** Stops after the step in progress (its gRPC stream is cancelled). */
  async stop(): Promise<void> {
    await this.task.stop();
  }

  /** Runs steps until the current pass ends; returns its totals. */
  async runPass(signal?: AbortSignal): Promise<SweepPassReport> {
    for (;;) {
      const { pass } = await this.advance(signal);
      if (pass !== undefined) return pass;
    }
  }

  /** Sweeps the next range (beginning a pass when none is in progress). */
  async step(signal?: AbortSignal): Promise<SweepStepReport> {
    return (await this.advance(signal)).step;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let pass: SweepPassReport | undefined;
      try {
        pass = (await this.advance(signal)).pass;
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        failures += 1;
        const delayMs = retryDelayMs(failures, this.retryDelay);
        this.logFailure(error, failures, delayMs);
        await abortableSleep(delayMs, signal);
        continue;
      }
      if (pass !== undefined && !pass.changed) await abortableSleep(this.intervalMs, signal);
    }
  }

  /** One step; `pass` is set when the step ended the pass. A failure keeps the cursor (retry the range). */
  private async advance(signal?: AbortSignal): Promise<{ step: SweepStepReport; pass?: SweepPassReport }> {
    const pass = this.pass ?? (await this.beginPass(signal));
    this.pass = pass;
    const from = this.cursor;
    // Nothing tracked and nothing on the primary: an empty pass (reported as the range [1, 0]).
    if (from > pass.end) return this.endPass(pass, emptyStep(from, from - 1));
    const to = Math.min(from + this.rangeSize - 1, Number.MAX_SAFE_INTEGER);
    const step = await this.sweepRange(from, to, signal);
    pass.ranges += 1;
    pass.inserted += step.inserted;
    pass.repaired += step.repaired;
    pass.removed += step.removed;
    pass.blobsDeleted += step.blobsDeleted;
    pass.blobDeleteFailures += step.blobDeleteFailures;
    this.cursor = to + 1;
    if (this.cursor > pass.end) return this.endPass(pass, step);
    return { step: { ...step, passEnded: false } };
  }

  private async beginPass(signal?: AbortSignal): Promise<PassState> {
    const name = this.options.replicable.name;
    const [catalogue, maxTracked] = await Promise.all([this.options.catalogue.describeCatalog(name, signal), this.options.registry.maxTrackedModelId()]);
    this.cursor = 1;
    return { end: Math.max(catalogue.maxModelRecordId, maxTracked), ranges: 0, inserted: 0, repaired: 0, removed: 0, blobsDeleted: 0, blobDeleteFailures: 0 };
  }

  private endPass(pass: PassState, step: Omit<SweepStepReport, 'passEnded'>): { step: SweepStepReport; pass: SweepPassReport } {
    this.cursor = 1;
    this.pass = undefined;
    const report = totals(pass);
    if (report.changed || report.blobDeleteFailures > 0) {
      this.options.logger.info({ replicable: this.options.replicable.name, end: pass.end, ...report }, 'registry: consistency sweep pass finished');
    }
    this.options.onPass?.(report);
    return { step: { ...step, passEnded: true }, pass: report };
  }

  private async sweepRange(from: number, to: number, signal?: AbortSignal): Promise<Omit<SweepStepReport, 'passEnded'>> {
    const { replicable, registry, catalogue } = this.options;
    const tracked = new Map((await registry.trackedInRange(from, to)).map((t) => [t.modelId, t]));
    // The listing is consumed as it streams and new records are tracked in chunks, so a range holds
    // at most one chunk of records (plus the range's ids) in memory, not 10,000 records.
    const sourceIds = new Set<number>();
    let chunk: ReplicableRecord[] = [];
    let toTrackCount = 0;
    let insertedCount = 0;
    const flush = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const batch = chunk;
      chunk = [];
      const inserted = (await registry.track(batch)).length;
      insertedCount += inserted;
      if (inserted > 0) this.options.nudges?.nudge(); // the scheduler can start on this chunk already
    };
    for await (const record of catalogue.listReplicables(replicable.name, from, to, signal)) {
      sourceIds.add(record.modelRecordId);
      const known = tracked.get(record.modelRecordId);
      if (known !== undefined && known.hasRegistry && known.hasRecord) continue;
      chunk.push(record);
      toTrackCount += 1;
      if (chunk.length >= TRACK_CHUNK_SIZE) await flush();
    }
    await flush();
    const unused = [...tracked.keys()].filter((id) => !sourceIds.has(id));

    const removal = unused.length === 0 ? { blobsDeleted: 0, blobDeleteFailures: 0 } : await this.remove(unused);

    const step = {
      from,
      to,
      listed: sourceIds.size,
      inserted: insertedCount,
      repaired: toTrackCount - insertedCount,
      removed: unused.length,
      ...removal,
    };
    if (step.inserted > 0 || step.repaired > 0 || step.removed > 0) {
      this.options.logger.info({ replicable: replicable.name, ...step }, 'registry: consistency sweep changed a range');
    }
    return step;
  }

  /** Rows first (one transaction), then the blobs their records named. */
  private async remove(modelIds: readonly number[]): Promise<{ blobsDeleted: number; blobDeleteFailures: number }> {
    const { replicable, logger } = this.options;
    const removed = await this.options.registry.untrack(modelIds);
    const withRecord = new Set(removed.records.map((r) => r.modelRecordId));
    const withoutRecord = modelIds.filter((id) => !withRecord.has(id));
    if (withoutRecord.length > 0) {
      logger.warn(
        { replicable: replicable.name, modelIds: withoutRecord.slice(0, 100), count: withoutRecord.length },
        'registry: removed registry rows had no stored record; their blob key is unknown and any local blob is left in place',
      );
    }
    let blobsDeleted = 0;
    let blobDeleteFailures = 0;
    const queue = [...removed.records];
    const worker = async (): Promise<void> => {
      for (let record = queue.shift(); record !== undefined; record = queue.shift()) {
        try {
          await this.options.blobs.delete(record.blobKey);
          blobsDeleted += 1;
        } catch (error) {
          // The rows are already gone, so this blob is now an orphan no pass will revisit: say so loudly.
          blobDeleteFailures += 1;
          logger.error(
            { ...errorFields(error), replicable: replicable.name, modelRecordId: record.modelRecordId, blobKey: record.blobKey },
            'registry: blob of a removed record could not be deleted; it is left as an orphan',
          );
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(BLOB_DELETE_CONCURRENCY, queue.length) }, worker));
    return { blobsDeleted, blobDeleteFailures };
  }

  private logFailure(error: unknown, failures: number, delayMs: number): void {
    const fields = { ...errorFields(error), replicable: this.options.replicable.name, cursor: this.cursor, consecutiveFailures: failures, delayMs };
    const message = 'registry: consistency sweep step failed; retrying the same range';
    if (isGeoError(error) && error.retryable) this.options.logger.warn(fields, message);
    else this.options.logger.error(fields, message);
  }
}

function emptyStep(from: number, to: number): Omit<SweepStepReport, 'passEnded'> {
  return { from, to, listed: 0, inserted: 0, repaired: 0, removed: 0, blobsDeleted: 0, blobDeleteFailures: 0 };
}

function totals(pass: PassState): SweepPassReport {
  return {
    ranges: pass.ranges,
    inserted: pass.inserted,
    repaired: pass.repaired,
    removed: pass.removed,
    blobsDeleted: pass.blobsDeleted,
    blobDeleteFailures: pass.blobDeleteFailures,
    changed: pass.inserted + pass.repaired + pass.removed > 0,
  };
}
