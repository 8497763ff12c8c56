import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { abortableSleep, errorFields, isGeoError, ValidationError, type LoggerPort, type ReplicableDefinition } from '@geo/domain';
import { withSpan } from '@geo/otel';
import type { VerificationStateRepository } from '@geo/pg';
import { BackgroundTask, type Component } from '@geo/service-kit';
import type { BatchReport, BatchVerifier } from './batch-verifier';
import { batchCapacityPerType, batchJobsFor, DEFAULT_PRIMARY_VERIFICATION_SETTINGS, type PrimaryVerificationSettings } from './capacity';
import type { VerificationMaintenance } from './verification-maintenance';

export const DEFAULT_POLL_INTERVAL_MS = 1000;
/** GitLab's verification cron runs every minute (`* * * * *`). */
export const DEFAULT_MAINTENANCE_INTERVAL_MS = 60_000;
/** Longest pause after repeated scheduling failures (e.g. PostgreSQL down). */
const MAX_FAILURE_BACKOFF_MS = 30_000;

/** Running totals, for logs, tests and the benchmark. */
export interface VerificationCounters {
  batches: number;
  succeeded: number;
  failed: number;
  superseded: number;
}

export interface PrimaryVerificationWorkerOptions {
  readonly replicable: ReplicableDefinition;
  readonly states: Pick<VerificationStateRepository, 'claimBatch' | 'needsVerificationCount'>;
  readonly verifier: Pick<BatchVerifier, 'verify'>;
  readonly maintenance: Pick<VerificationMaintenance, 'sweepTimeouts' | 'reverifyStale' | 'backfill'>;
  /** Reads the primary's `geo_sites` settings; called at start and before every maintenance run. */
  readonly settings: () => Promise<PrimaryVerificationSettings>;
  /** Types with verification enabled on this site: they share `verification_max_capacity`. */
  readonly enabledTypes: number;
  readonly logger: LoggerPort;
  /** Pause when no row needs verification; default 1 s. */
  readonly pollIntervalMs?: number;
  /** Period of settings refresh, timeout sweep, reverification and backfill; default 1 min. */
  readonly maintenanceIntervalMs?: number;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new ValidationError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Primary verification of one replicable type (spec §3.5, DESIGN §4 flow 6): GitLab's
 * VerificationBatchWorker as a LimitedCapacity pool of batch jobs, plus the per-minute cron work.
 *
 * - Scheduling: up to `max(1, floor(verification_max_capacity / enabledTypes))` jobs run at once.
 *   The scheduler starts `ceil(min(needs, free × 10) / 10)` new jobs (spec §3.8) whenever a job
 *   ends or the poll interval passes. A job claims a batch (10), checksums it, records it in one
 *   statement, and goes on while its claims come back full, like a re-enqueued LimitedCapacity job.
 *   After a failed batch only one job runs at a time, with a growing pause, until a batch succeeds.
 * - Concurrency is in SQL: claims are `FOR UPDATE SKIP LOCKED` and results compare-and-set on the
 *   claim, so any number of these workers (in any number of processes) may run. The wiring merges
 *   concurrent jobs' claims and results into bulk statements (`coalescing.ts`); a job still owns
 *   exactly its batch.
 * - Stopping lets every job finish its batch in flight (checksum and record); a process killed
 *   instead leaves rows `verification_started`, which the timeout sweep fails after 8 h.
 * - Failures to claim or record are logged and retried with backoff; they never stop the worker.
 */
export class PrimaryVerificationWorker implements Component {
  readonly name: string;
  readonly counters: VerificationCounters = { batches: 0, succeeded: 0, failed: 0, superseded: 0 };
  private readonly pollIntervalMs: number;
  private readonly maintenanceIntervalMs: number;
  private readonly batchSize: number;
  private currentSettings: PrimaryVerificationSettings = DEFAULT_PRIMARY_VERIFICATION_SETTINGS;
  private readonly jobs = new Set<Promise<void>>();
  /** Wakes the scheduler early (a job ended). */
  private wake: (() => void) | undefined;
  private consecutiveFailures = 0;
  private readonly task: BackgroundTask;

  constructor(private readonly options: PrimaryVerificationWorkerOptions) {
    this.name = `primary-verification:${options.replicable.name}`;
    this.task = new BackgroundTask(this.name, (signal) => Promise.all([this.schedule(signal), this.maintain(signal)]).then(() => undefined));
    this.pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
    this.maintenanceIntervalMs = positiveInteger('maintenanceIntervalMs', options.maintenanceIntervalMs ?? DEFAULT_MAINTENANCE_INTERVAL_MS);
    this.batchSize = positiveInteger('batchSize', options.replicable.verification.batchSize);
    positiveInteger('enabledTypes', options.enabledTypes);
  }

  /** Concurrent batch jobs allowed for this type with the current site settings. */
  get capacity(): number {
    return batchCapacityPerType(this.currentSettings.verificationMaxCapacity, this.options.enabledTypes);
  }

  /** Jobs running right now. */
  get activeJobs(): number {
    return this.jobs.size;
  }

  /** Reads the settings (so the first batches use the right capacity), then runs in the background. */
  async start(): Promise<void> {
    this.task.assertStopped();
    this.currentSettings = await this.options.settings();
    this.task.start();
    this.options.logger.info({ replicable: this.options.replicable.name, capacity: this.capacity, batchSize: this.batchSize }, 'checksum: primary verification started');
  }

  /** Stops scheduling and waits for the batches in flight and the maintenance run in progress. */
  async stop(): Promise<void> {
    if (!(await this.task.stop(() => this.wake?.()))) return;
    this.options.logger.info({ replicable: this.options.replicable.name, ...this.counters }, 'checksum: primary verification stopped');
  }

  /** One maintenance run (settings, timeouts, reverification, backfill); each step fails alone. */
  async runMaintenance(): Promise<void> {
    const { logger, maintenance } = this.options;
    const replicable = this.options.replicable.name;
    await this.step('refresh settings', async () => {
      this.currentSettings = await this.options.settings();
    });
    await this.step('timeout sweep', async () => {
      const timedOut = await maintenance.sweepTimeouts();
      if (timedOut > 0) logger.warn({ replicable, timedOut }, 'checksum: verifications timed out');
    });
    await this.step('reverification', async () => {
      const reverified = await maintenance.reverifyStale(this.currentSettings.minimumReverificationIntervalDays);
      if (reverified > 0) logger.info({ replicable, reverified }, 'checksum: stale checksums marked for reverification');
    });
    await this.step('state backfill', async () => {
      const report = await maintenance.backfill();
      if (report.inserted > 0 || report.deleted > 0) logger.info({ replicable, ...report }, 'checksum: verification states backfilled');
    });
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
    const needs = await untraced(() => this.options.states.needsVerificationCount(free * this.batchSize));
    const wanted = batchJobsFor(needs, free, this.batchSize);
    // While batches keep failing, probe with one job at a time: every failed batch leaves its rows
    // started until the timeout sweep, so a full fleet of failing jobs would strand a lot of rows.
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
          const claims = await this.options.states.claimBatch(this.batchSize);
          span.setAttribute('geo.claimed', claims.length);
          if (claims.length > 0) this.count(await this.options.verifier.verify(claims));
          return claims.length === this.batchSize;
        },
        { 'geo.replicable': this.options.replicable.name },
      );
      this.consecutiveFailures = 0;
      if (!full) return;
    }
  }

  private count(report: BatchReport): void {
    this.counters.batches += 1;
    this.counters.succeeded += report.succeeded;
    this.counters.failed += report.failed;
    this.counters.superseded += report.superseded;
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
