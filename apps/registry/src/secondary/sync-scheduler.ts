import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import {
  abortableSleep,
  errorFields,
  ErrorCodes,
  GeoError,
  isGeoError,
  ValidationError,
  type LoggerPort,
  type ReplicableDefinition,
  type SiteSettings,
} from '@geo/domain';
import { syncJobMessageId, type SyncJob } from '@geo/nats';
import { contextFromCarrier, spansExported, withSpan } from '@geo/otel';
import type { RegistrySweepRepository } from '@geo/pg';
import { BackgroundTask, type Component } from '@geo/service-kit';
import type { SecondaryCatalogue } from './catalogue-port';
import type { NudgeListener } from './nudges';
import type { SyncJobPublisher } from './sync-job-publisher';

/** GitLab's `files_max_capacity` default, used until the primary has told us the site's value. */
export const DEFAULT_FILES_MAX_CAPACITY = 10;
/** Pause between loops when nothing woke the scheduler; default 1 s (GitLab's scheduler sleeps 1 s). */
export const DEFAULT_SCHEDULER_POLL_INTERVAL_MS = 1000;
export const DEFAULT_NUDGE_COALESCE_MS = 20;
/** How often the site's settings are read again from the primary. */
export const DEFAULT_SETTINGS_REFRESH_MS = 60_000;
/** Rows `started` longer than this get their job published again (a lost job, a crash after the claim). */
export const DEFAULT_STALLED_AFTER_MS = 10 * 60_000;
/** GitLab `DB_RETRIEVE_BATCH_SIZE`: most rows one claim starts. */
export const DEFAULT_SCHEDULER_MAX_BATCH = 1000;
/** Jobs whose acks are awaited at once. */
const PUBLISH_CONCURRENCY = 100;
/** Longest pause after repeated loop failures (e.g. PostgreSQL down). */
const MAX_FAILURE_BACKOFF_MS = 30_000;
/** Retry of a failed settings read (primary down) when the refresh period is longer. */
const SETTINGS_RETRY_MS = 10_000;

/** What one scheduling loop did. */
export interface ScheduleReport {
  /** Rows this type may have started at once. */
  readonly capacity: number;
  /** Rows `started` before this loop's claim (undefined when the loop did not claim). */
  readonly inFlight?: number;
  readonly claimed: number;
  /** Jobs acked by the stream in this loop (new claims, retries and stalled rows). */
  readonly published: number;
  /** Jobs that could not be published; kept in memory and retried on the next loop. */
  readonly publishFailures: number;
  /** Jobs of stalled `started` rows published again. */
  readonly republished: number;
  /** Why the loop claimed nothing on purpose. */
  readonly skipped?: 'site-disabled' | 'queue-unavailable';
}

export interface SyncSchedulerOptions {
  readonly replicable: ReplicableDefinition;
  readonly registry: Pick<RegistrySweepRepository, 'claimWithinCapacity' | 'startedBefore'>;
  /** The site's settings (`files_max_capacity`, `enabled`) come from the primary's `DescribeCatalog`. */
  readonly catalogue: Pick<SecondaryCatalogue, 'describeCatalog'>;
  readonly jobs: SyncJobPublisher;
  /** Nudges end the wait between loops early; without, the scheduler only polls. */
  readonly nudges?: NudgeListener;
  readonly logger: LoggerPort;
  /** Default 1 s. */
  readonly pollIntervalMs?: number;
  /** Pause after a nudge before claiming, so one claim serves several freed slots; default 20 ms. */
  readonly nudgeCoalesceMs?: number;
  /** Default 60 s. */
  readonly settingsRefreshMs?: number;
  /**
   * Default 10 min. Must exceed how long a job may legitimately wait in the queue plus the
   * workers' ack wait: a job re-published while its first copy is still being worked on makes a
   * second worker download the same attempt (harmless: one compare-and-set wins; but wasted work).
   */
  readonly stalledAfterMs?: number;
  /** Default 1000. */
  readonly maxBatch?: number;
  /**
   * Types scheduled on this site; they share `files_max_capacity` as
   * `max(1, floor(files_max_capacity / types))` each. Default 1.
   */
  readonly typesSharingCapacity?: number;
  readonly clock?: () => Date;
  /** Called after every loop (tests, metrics). */
  readonly onLoop?: (report: ScheduleReport) => void;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ValidationError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** This type's share of the site's `files_max_capacity` (0 stays 0: the operator stopped syncing). */
export function capacityShare(filesMaxCapacity: number, types: number): number {
  if (filesMaxCapacity <= 0) return 0;
  return Math.max(1, Math.floor(filesMaxCapacity / types));
}

/**
 * The sync scheduler of one type (spec §6 `RegistrySyncWorker`, ADR 0004 §5): starts registry rows
 * and puts one job per row on the site's `GEO_SYNC_JOBS` work queue.
 *
 * Each loop: refresh the site's settings when due; publish again the jobs that failed to publish
 * last time; every `stalledAfterMs`, publish again the jobs of rows `started` longer than that
 * (a crash between claim and publish, a lost job); then claim `min(capacity − started, 1000)` rows
 * (pending first, then failed rows whose `retry_at` is due) under a per-type lock, and publish
 * their jobs, awaiting the stream's acks. The job's attempt is the row's `last_synced_at`, and its
 * `Nats-Msg-Id` is derived from it, so publishing an attempt again within the dedupe window stores
 * one message. Between loops it waits for a nudge or `pollIntervalMs`; after a full batch it loops
 * at once. In-flight work is counted from the table, so capacity holds across restarts and
 * replicas. Nothing is claimed while the site is disabled or the queue is unreachable.
 */
export class SyncScheduler implements Component {
  readonly name: string;
  private readonly pollIntervalMs: number;
  private readonly nudgeCoalesceMs: number;
  private readonly settingsRefreshMs: number;
  private readonly stalledAfterMs: number;
  private readonly maxBatch: number;
  private readonly types: number;
  private readonly clock: () => Date;
  private settings: Pick<SiteSettings, 'enabled' | 'filesMaxCapacity'> = { enabled: true, filesMaxCapacity: DEFAULT_FILES_MAX_CAPACITY };
  private nextSettingsRefresh = 0;
  private nextStalledCheck = 0;
  /** Jobs claimed (or found stalled) whose publish failed, by message id. */
  private readonly unpublished = new Map<string, SyncJob>();
  private readonly task: BackgroundTask;

  constructor(private readonly options: SyncSchedulerOptions) {
    this.name = `sync-scheduler:${options.replicable.name}`;
    this.task = new BackgroundTask(this.name, (signal) => this.loop(signal));
    this.pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? DEFAULT_SCHEDULER_POLL_INTERVAL_MS);
    this.nudgeCoalesceMs = options.nudgeCoalesceMs ?? DEFAULT_NUDGE_COALESCE_MS;
    if (!Number.isInteger(this.nudgeCoalesceMs) || this.nudgeCoalesceMs < 0) throw new ValidationError(`nudgeCoalesceMs must be a non-negative integer, got ${this.nudgeCoalesceMs}`);
    this.settingsRefreshMs = positiveInteger('settingsRefreshMs', options.settingsRefreshMs ?? DEFAULT_SETTINGS_REFRESH_MS);
    this.stalledAfterMs = positiveInteger('stalledAfterMs', options.stalledAfterMs ?? DEFAULT_STALLED_AFTER_MS);
    this.maxBatch = positiveInteger('maxBatch', options.maxBatch ?? DEFAULT_SCHEDULER_MAX_BATCH);
    this.types = positiveInteger('typesSharingCapacity', options.typesSharingCapacity ?? 1);
    this.clock = options.clock ?? (() => new Date());
  }

  /** Rows this type may have `started` at once with the settings known now. */
  get capacity(): number {
    return capacityShare(this.settings.filesMaxCapacity, this.types);
  }

  async start(): Promise<void> {
    this.task.start();
  }

  /** Stops after the loop in progress (its publishes are awaited). */
  async stop(): Promise<void> {
    await this.task.stop();
  }

  /** One scheduling loop (see the class comment). */
  async runOnce(signal?: AbortSignal): Promise<ScheduleReport> {
    await this.refreshSettingsIfDue(signal);
    const capacity = this.capacity;
    if (!this.settings.enabled) return { capacity, claimed: 0, published: 0, publishFailures: 0, republished: 0, skipped: 'site-disabled' };
    if (!this.options.jobs.isReady()) return { capacity, claimed: 0, published: 0, publishFailures: 0, republished: 0, skipped: 'queue-unavailable' };

    const retried = [...this.unpublished.values()];
    this.unpublished.clear();
    const retry = await this.publishAll(retried);
    const republished = await this.republishStalledIfDue();
    const { inFlight, claimed, traceContexts } = await untraced(() =>
      this.options.registry.claimWithinCapacity({ capacity, maxBatch: this.maxBatch, withTraceContexts: spansExported() }),
    );
    const jobs = claimed.map((row) => this.job(row.modelId, row.lastSyncedAt, traceContexts.get(row.modelId)));
    const fresh =
      jobs.length === 0
        ? { published: 0, failures: 0 }
        : await withSpan('registry.schedule_sync', () => this.publishAll(jobs), {
            'geo.replicable': this.options.replicable.name,
            'geo.claimed': jobs.length,
            'geo.capacity': capacity,
          });
    return {
      capacity,
      inFlight,
      claimed: claimed.length,
      published: retry.published + republished.published + fresh.published,
      publishFailures: retry.failures + republished.failures + fresh.failures,
      republished: republished.published,
    };
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      let fullBatch = false;
      try {
        const report = await this.runOnce(signal);
        failures = 0;
        fullBatch = report.claimed === this.maxBatch && report.publishFailures === 0;
        this.options.onLoop?.(report);
      } catch (error) {
        failures += 1;
        this.logFailure(error, failures);
      }
      if (signal.aborted) break;
      if (fullBatch) continue; // more rows may be waiting: GitLab reloads at once while batches come back full
      const delay = failures === 0 ? this.pollIntervalMs : Math.min(MAX_FAILURE_BACKOFF_MS, this.pollIntervalMs * 2 ** failures);
      if (this.options.nudges === undefined) await abortableSleep(delay, signal);
      else {
        await this.options.nudges.wait(delay, signal);
        // Workers nudge once per finished job: waiting a moment lets one claim refill the capacity
        // several jobs freed, instead of one claim transaction (lock, count, update) per blob.
        if (this.nudgeCoalesceMs > 0) await abortableSleep(this.nudgeCoalesceMs, signal);
      }
    }
  }

  private job(modelRecordId: number, attempt: Date | null, traceContext?: Readonly<Record<string, string>>): SyncJob {
    // A claimed or started row always has `last_synced_at` (the `start` event sets it).
    if (attempt === null) throw new GeoError(ErrorCodes.INTERNAL, `started registry row of model ${modelRecordId} has no last_synced_at`);
    return { replicableName: this.options.replicable.name, modelRecordId, attempt, ...(traceContext === undefined ? {} : { traceContext }) };
  }

  private async refreshSettingsIfDue(signal?: AbortSignal): Promise<void> {
    const now = Date.now();
    if (now < this.nextSettingsRefresh) return;
    try {
      const { site } = await this.options.catalogue.describeCatalog(this.options.replicable.name, signal);
      const changed = site.enabled !== this.settings.enabled || site.filesMaxCapacity !== this.settings.filesMaxCapacity;
      this.settings = { enabled: site.enabled, filesMaxCapacity: site.filesMaxCapacity };
      this.nextSettingsRefresh = now + this.settingsRefreshMs;
      if (changed) {
        this.options.logger.info(
          { replicable: this.options.replicable.name, enabled: site.enabled, filesMaxCapacity: site.filesMaxCapacity, capacity: this.capacity },
          'registry: sync scheduler settings',
        );
      }
    } catch (error) {
      // Keep scheduling with the last known settings; the primary being down must not stop downloads
      // of rows that are already known.
      this.nextSettingsRefresh = now + Math.min(this.settingsRefreshMs, SETTINGS_RETRY_MS);
      this.options.logger.warn(
        { ...errorFields(error), replicable: this.options.replicable.name, capacity: this.capacity },
        'registry: cannot read the site settings from the primary; keeping the last known ones',
      );
    }
  }

  /** Jobs of rows `started` longer than `stalledAfterMs`, with their current attempt. */
  private async republishStalledIfDue(): Promise<{ published: number; failures: number }> {
    const now = this.clock();
    if (now.getTime() < this.nextStalledCheck) return { published: 0, failures: 0 };
    const cutoff = new Date(now.getTime() - this.stalledAfterMs);
    let published = 0;
    let failures = 0;
    let afterId = 0;
    for (;;) {
      const rows = await untraced(() => this.options.registry.startedBefore(cutoff, { afterId, limit: this.maxBatch }));
      if (rows.length > 0) {
        const result = await this.publishAll(rows.map((row) => this.job(row.modelId, row.lastSyncedAt)));
        published += result.published;
        failures += result.failures;
      }
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < this.maxBatch) break;
      afterId = last.id;
    }
    // Only after a complete walk: a failure retries the walk on the next loop.
    this.nextStalledCheck = now.getTime() + this.stalledAfterMs;
    if (published > 0) {
      this.options.logger.warn(
        { replicable: this.options.replicable.name, republished: published, stalledAfterMs: this.stalledAfterMs },
        'registry: sync jobs of long-started rows published again',
      );
    }
    return { published, failures };
  }

  /** Publishes jobs (bounded concurrency); failures are kept for the next loop and logged once. */
  private async publishAll(jobs: readonly SyncJob[]): Promise<{ published: number; failures: number }> {
    let published = 0;
    let firstError: unknown;
    const failed: SyncJob[] = [];
    for (let i = 0; i < jobs.length; i += PUBLISH_CONCURRENCY) {
      const chunk = jobs.slice(i, i + PUBLISH_CONCURRENCY);
      // A job that carries its row's trace (ADR 0009) is published in that trace, not the loop's.
      const results = await Promise.allSettled(
        chunk.map((job) => (job.traceContext === undefined ? this.options.jobs.publishJob(job) : context.with(contextFromCarrier(job.traceContext), () => this.options.jobs.publishJob(job)))),
      );
      results.forEach((result, index) => {
        const job = chunk[index];
        if (job === undefined) return;
        if (result.status === 'fulfilled') {
          published += 1;
        } else {
          firstError ??= result.reason;
          failed.push(job);
        }
      });
    }
    for (const job of failed) this.unpublished.set(syncJobMessageId(job), job);
    if (failed.length > 0) {
      this.options.logger.warn(
        { ...errorFields(firstError), replicable: this.options.replicable.name, failed: failed.length, published },
        'registry: sync jobs not published; the rows stay started and are retried',
      );
    }
    return { published, failures: failed.length };
  }

  private logFailure(error: unknown, failures: number): void {
    const fields = { ...errorFields(error), replicable: this.options.replicable.name, consecutiveFailures: failures };
    const message = 'registry: sync scheduling failed; retrying';
    if (isGeoError(error) && error.retryable) this.options.logger.warn(fields, message);
    else this.options.logger.error(fields, message);
  }
}

/** Runs `fn` with tracing suppressed: the idle poll runs every second and would be a root span each time. */
function untraced<T>(fn: () => Promise<T>): Promise<T> {
  return context.with(suppressTracing(ROOT_CONTEXT), fn);
}
