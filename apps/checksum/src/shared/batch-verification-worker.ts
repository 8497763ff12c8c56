import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { abortableSleep, errorFields, isGeoError, ValidationError, type LoggerPort, type ReplicableDefinition } from '@geo/domain';
import { withSpan } from '@geo/otel';
import { BackgroundTask, type Component } from '@geo/service-kit';
import { batchCapacityPerType, batchJobsFor, type VerificationCapacitySettings } from './capacity';

export const DEFAULT_POLL_INTERVAL_MS = 1000;
/** GitLab's verification cron runs every minute (`* * * * *`). */
export const DEFAULT_MAINTENANCE_INTERVAL_MS = 60_000;
/** Longest pause after repeated scheduling failures (e.g. PostgreSQL down). */
const MAX_FAILURE_BACKOFF_MS = 30_000;

/** What one verified batch came to; the worker adds it to its counters. */
export interface BatchTally {
  readonly succeeded: number;
  readonly failed: number;
  /** Results not written because the row was re-marked (or deleted) while its checksum was calculated. */
  readonly superseded: number;
  /** Secondary only: rows set `verification_disabled` because the primary had no checksum to compare with. */
  readonly disabled?: number;
}

/** Running totals, for logs, tests and the benchmarks. */
export interface VerificationCounters {
  batches: number;
  succeeded: number;
  failed: number;
  superseded: number;
  disabled: number;
}

/** The work queue of one type: a primary state table or a secondary registry. */
export interface VerificationQueue<C> {
  /** Claims up to `limit` rows (`FOR UPDATE SKIP LOCKED`); fewer when fewer need verification. */
  claimBatch(limit: number): Promise<C[]>;
  /** Rows needing verification, counted up to `limit` (spec §3.8). */
  needsVerificationCount(limit: number): Promise<number>;
}

/** One periodic upkeep step (timeout sweep, reverification, …), run with the settings just read. */
export interface MaintenanceStep<S> {
  /** Names the step in the failure log line. */
  readonly name: string;
  run(settings: S): Promise<void>;
}

export interface BatchVerificationWorkerOptions<C, S extends VerificationCapacitySettings> {
  /** Which face this is, for the component name and the log lines. */
  readonly face: 'primary' | 'secondary';
  readonly replicable: ReplicableDefinition;
  readonly queue: VerificationQueue<C>;
  /** Verifies and records one claimed batch; throws only when the batch could not be dealt with. */
  readonly verifier: { verify(claims: readonly C[]): Promise<BatchTally> };
  /** Run in order at start and every maintenance interval, after the settings refresh; each fails alone. */
  readonly maintenance: readonly MaintenanceStep<S>[];
  /** Reads the site's settings; called at start and before every maintenance run. */
  readonly settings: () => Promise<S>;
  /** Settings until the first read returns. */
  readonly initialSettings: S;
  /** Types with verification enabled on this site: they share `verification_max_capacity`. */
  readonly enabledTypes: number;
  readonly logger: LoggerPort;
  /** Pause when no row needs verification; default 1 s. */
  readonly pollIntervalMs?: number;
  /** Period of the settings refresh and the maintenance steps; default 1 min. */
  readonly maintenanceIntervalMs?: number;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new ValidationError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Verification of one replicable type on either face (spec §3.5, §3.6; DESIGN §4 flow 6): GitLab's
 * VerificationBatchWorker as a LimitedCapacity pool of batch jobs, plus the per-minute cron work.
 *
 * - Scheduling: up to `max(1, floor(verification_max_capacity / enabledTypes))` jobs run at once
 *   (none while the site is disabled). The scheduler starts `ceil(min(needs, free × 10) / 10)` new
 *   jobs (spec §3.8) whenever a job ends or the poll interval passes. A job claims a batch (10),
 *   verifies and records it, and goes on while its claims come back full, like a re-enqueued
 *   LimitedCapacity job. After a failed batch only one job runs at a time, with a growing pause,
 *   until a batch succeeds.
 * - Concurrency is in SQL: claims are `FOR UPDATE SKIP LOCKED` and results compare-and-set on the
 *   claim, so any number of these workers (in any number of processes) may run. The wiring merges
 *   concurrent jobs' claims and results into bulk statements (`coalescing.ts`); a job still owns
 *   exactly its batch.
 * - Stopping lets every job finish its batch in flight; a process killed instead leaves rows
 *   `verification_started`, which the timeout sweep fails after 8 h.
 * - Failures to claim, verify or record are logged and retried with backoff; they never stop the worker.
 */
export class BatchVerificationWorker<C, S extends VerificationCapacitySettings> implements Component {
  readonly name: string;
  readonly counters: VerificationCounters = { batches: 0, succeeded: 0, failed: 0, superseded: 0, disabled: 0 };
  private readonly pollIntervalMs: number;
  private readonly maintenanceIntervalMs: number;
  private readonly batchSize: number;
  private currentSettings: S;
  private readonly jobs = new Set<Promise<void>>();
  /** Wakes the scheduler early (a job ended). */
  private wake: (() => void) | undefined;
  private consecutiveFailures = 0;
  private readonly task: BackgroundTask;

  constructor(private readonly options: BatchVerificationWorkerOptions<C, S>) {
    this.name = `${options.face}-verification:${options.replicable.name}`;
    this.task = new BackgroundTask(this.name, (signal) => Promise.all([this.schedule(signal), this.maintain(signal)]).then(() => undefined));
    this.pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    this.maintenanceIntervalMs = positiveInteger('maintenanceIntervalMs', options.maintenanceIntervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS);
    this.batchSize = positiveInteger('batchSize', options.replicable.verification.batchSize);
    positiveInteger('enabledTypes', options.enabledTypes);
    this.currentSettings = options.initialSettings;
  }

  /** Concurrent batch jobs allowed for this type with the current site settings (0 while disabled). */
  get capacity(): number {
    if (!this.currentSettings.enabled) return 0;
    return batchCapacityPerType(this.currentSettings.verificationMaxCapacity, this.options.enabledTypes);
  }

  /** Jobs running right now. */
  get activeJobs(): number {
    return this.jobs.size;
  }

  /** The settings the worker schedules by now. */
  get settings(): S {
    return this.currentSettings;
  }

  /** Reads the settings (so the first batches use the right capacity), then runs in the background. */
  async start(): Promise<void> {
    this.task.assertStopped();
    this.currentSettings = await this.options.settings();
    this.task.start();
    this.options.logger.info(
      { replicable: this.options.replicable.name, capacity: this.capacity, batchSize: this.batchSize },
      `checksum: ${this.options.face} verification started`,
    );
  }

  /** Stops scheduling and waits for the batches in flight and the maintenance run in progress. */
  async stop(): Promise<void> {
    if (!(await this.task.stop(() => this.wake?.()))) return;
    this.options.logger.info({ replicable: this.options.replicable.name, ...this.counters }, `checksum: ${this.options.face} verification stopped`);
  }

  /** One maintenance run (settings, then every step); each part fails alone. */
  async runMaintenance(): Promise<void> {
    await this.step('refresh settings', async () => {
      this.currentSettings = await this.options.settings();
    });
    for (const step of this.options.maintenance) await this.step(step.name, () => step.run(this.currentSettings));
  }

  private async step(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await untraced(fn);
    } catch (error) {
      this.logFailure(error, `checksum: ${what} failed; next run in ${this.maintenanceIntervalMs} ms`);
    }
  }

  private async maintain(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.runMaintenance();
      await abortableSleep(this.maintenanceIntervalMs, signal);
    }
  }

  private async schedule(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        this.startJobs(await this.jobsWanted(), signal);
      } catch (error) {
        this.failed(error, 'checksum: cannot count rows needing verification');
      }
      if (signal.aborted) break;
      await this.nextTick(signal);
    }
    await Promise.all(this.jobs);
  }

  private async jobsWanted(): Promise<number> {
    const free = this.capacity - this.jobs.size;
    if (free <= 0) return 0;
    // The idle poll runs every second: keep it out of traces (it would be a root span each time).
    const needs = await untraced(() => this.options.queue.needsVerificationCount(free * this.batchSize));
    const wanted = batchJobsFor(needs, free, this.batchSize);
    // While batches keep failing, probe with one job at a time: a batch that cannot be recorded
    // leaves its rows started until the timeout sweep, so a full fleet of failing jobs would strand
    // a lot of rows.
    return this.consecutiveFailures > 0 ? Math.min(wanted, 1) : wanted;
  }

  private startJobs(count: number, signal: AbortSignal): void {
    for (let i = 0; i < count; i += 1) {
      const job: Promise<void> = this.runJob(signal)
        .catch((error: unknown) => this.failed(error, 'checksum: verification batch failed'))
        .finally(() => {
          this.jobs.delete(job);
          this.wake?.();
        });
      this.jobs.add(job);
    }
  }

  /** Waits for the poll interval (longer after failures) or until a job ends. */
  private async nextTick(signal: AbortSignal): Promise<void> {
    const delay =
      this.consecutiveFailures === 0 ? this.pollIntervalMs : Math.min(MAX_FAILURE_BACKOFF_MS, this.pollIntervalMs * 2 ** this.consecutiveFailures);
    const local = new AbortController();
    const onAbort = (): void => local.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    // After a failure, a job ending must not cut the backoff short.
    this.wake = this.consecutiveFailures === 0 ? onAbort : undefined;
    try {
      await abortableSleep(delay, local.signal);
    } finally {
      this.wake = undefined;
      signal.removeEventListener('abort', onAbort);
    }
  }

  private async runJob(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const full = await withSpan(
        'checksum.verify_batch',
        async (span) => {
          const claims = await this.options.queue.claimBatch(this.batchSize);
          span.setAttribute('geo.claimed', claims.length);
          if (claims.length > 0) this.count(await this.options.verifier.verify(claims));
          return claims.length === this.batchSize;
        },
        { 'geo.replicable': this.options.replicable.name, 'geo.face': this.options.face },
      );
      this.consecutiveFailures = 0;
      if (!full) return;
    }
  }

  private count(tally: BatchTally): void {
    this.counters.batches += 1;
    this.counters.succeeded += tally.succeeded;
    this.counters.failed += tally.failed;
    this.counters.superseded += tally.superseded;
    this.counters.disabled += tally.disabled ?? 0;
  }

  private failed(error: unknown, message: string): void {
    this.consecutiveFailures += 1;
    this.logFailure(error, message);
  }

  private logFailure(error: unknown, message: string): void {
    const fields = { ...errorFields(error), replicable: this.options.replicable.name, consecutiveFailures: this.consecutiveFailures };
    if (isGeoError(error) && error.retryable) this.options.logger.warn(fields, message);
    else this.options.logger.error(fields, message);
  }
}

/** Runs `fn` with tracing suppressed (instrumented clients create no spans), on a clean context. */
function untraced<T>(fn: () => Promise<T>): Promise<T> {
  return context.with(suppressTracing(ROOT_CONTEXT), fn);
}
