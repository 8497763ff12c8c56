import {
  abortableSleep,
  errorFields,
  isGeoError,
  mathRandomJitter,
  syncTimeoutValues,
  ValidationError,
  type JitterSource,
  type LoggerPort,
  type ReplicableDefinition,
} from '@geo/domain';
import { DEFAULT_TIMEOUT_BATCH_SIZE, type RegistrySweepRepository } from '@geo/pg';
import { BackgroundTask, type Component } from '@geo/service-kit';

/** GitLab's `Geo::SyncTimeoutCronWorker` runs every 10 minutes. */
export const DEFAULT_SYNC_TIMEOUT_SWEEP_INTERVAL_MS = 10 * 60_000;

export interface SyncTimeoutSweepOptions {
  readonly replicable: ReplicableDefinition;
  readonly registry: Pick<RegistrySweepRepository, 'failTimedOut'>;
  readonly logger: LoggerPort;
  /** Default 10 min. */
  readonly intervalMs?: number;
  /** Rows per statement; default 1000. */
  readonly batchSize?: number;
  readonly clock?: () => Date;
  readonly random?: JitterSource;
}

/**
 * Fails rows stuck in `started` (spec §2.7, GitLab `fail_sync_timeouts`): rows whose attempt began
 * more than the type's `syncTimeoutSeconds` (8 h) ago become `failed` with "Sync timed out after
 * 28800", `retry_count = 1` and `retry_at = next_retry_time(1)`, in bulk (no callbacks). It runs
 * at start, then every `intervalMs`; a failed run is logged and retried at the next interval.
 */
export class SyncTimeoutSweep implements Component {
  readonly name: string;
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly clock: () => Date;
  private readonly random: JitterSource;
  private readonly task: BackgroundTask;

  constructor(private readonly options: SyncTimeoutSweepOptions) {
    this.name = `sync-timeout-sweep:${options.replicable.name}`;
    this.task = new BackgroundTask(this.name, (signal) => this.loop(signal));
    this.intervalMs = options.intervalMs ?? DEFAULT_SYNC_TIMEOUT_SWEEP_INTERVAL_MS;
    this.batchSize = options.batchSize ?? DEFAULT_TIMEOUT_BATCH_SIZE;
    for (const [name, value] of [['intervalMs', this.intervalMs], ['batchSize', this.batchSize]] as const) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new ValidationError(`${name} must be a positive integer, got ${value}`);
    }
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? mathRandomJitter;
  }

  async start(): Promise<void> {
    this.task.start();
  }

  async stop(): Promise<void> {
    await this.task.stop();
  }

  /** One sweep; returns how many rows timed out. */
  async runOnce(): Promise<number> {
    const now = this.clock();
    const timeoutSeconds = this.options.replicable.syncTimeoutSeconds;
    const values = syncTimeoutValues(timeoutSeconds, { now, random: this.random });
    const timedOut = await this.options.registry.failTimedOut(new Date(now.getTime() - timeoutSeconds * 1000), values, this.batchSize);
    if (timedOut > 0) {
      this.options.logger.warn({ replicable: this.options.replicable.name, timedOut, timeoutSeconds }, 'registry: syncs timed out');
    }
    return timedOut;
  }

  private async loop(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.runOnce();
      } catch (error) {
        const fields = { ...errorFields(error), replicable: this.options.replicable.name, nextRunInMs: this.intervalMs };
        if (isGeoError(error) && error.retryable) this.options.logger.warn(fields, 'registry: sync timeout sweep failed');
        else this.options.logger.error(fields, 'registry: sync timeout sweep failed');
      }
      await abortableSleep(this.intervalMs, signal);
    }
  }
}
