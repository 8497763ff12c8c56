import { Histogram, type Registry } from 'prom-client';

/** One download that reached the primary, as the histograms see it (ADR 0010). */
export interface SyncObservation {
  readonly replicableName: string;
  /** `synced`: the blob was installed; `failed`: the failure was recorded on the row. */
  readonly result: 'synced' | 'failed';
  /** From the retrieve request to the blob installed (or the failure known), in seconds. */
  readonly durationSeconds: number;
  /** Bytes received from the primary. */
  readonly bytes: number;
  /**
   * Synced rows only (lease held, catalogue record known): seconds from the primary's write of the
   * record (its model row's `created_at`, carried in `geo_replicable_records.created_at`) to now.
   */
  readonly lagSeconds?: number;
}

/** The port `BlobDownloadService` reports to; one call per download, nothing else on the hot path. */
export interface SyncObserver {
  downloaded(observation: SyncObservation): void;
}

/** Seconds: 10 ms (a small blob on a LAN) … 10 min (a large one over a slow link). */
export const SYNC_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];
/** Seconds: 100 ms (event path, caught up) … 1 day (backfill of old records, resync, long outage). */
export const SYNC_LAG_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 1800, 3600, 21600, 86400];
/** Bytes: powers of 4 from 1 KiB to 4 GiB (PDBs are a few KiB to a few hundred MiB). */
export const SYNC_BYTES_BUCKETS = Array.from({ length: 12 }, (_, i) => 1024 * 4 ** i);

/**
 * The sync histograms in `registry` (the app's, served by `geo.v1.MetricsService`):
 * `geo_sync_duration_seconds` and `geo_sync_transferred_bytes` by replicable and result,
 * `geo_sync_lag_seconds` by replicable.
 */
export class PromSyncMetrics implements SyncObserver {
  private readonly duration: Histogram<'replicable' | 'result'>;
  private readonly bytes: Histogram<'replicable' | 'result'>;
  private readonly lag: Histogram<'replicable'>;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'geo_sync_duration_seconds',
      help: 'Time to download one blob from the primary and install it (or record its failure), in seconds',
      labelNames: ['replicable', 'result'],
      buckets: SYNC_DURATION_BUCKETS,
      registers: [registry],
    });
    this.bytes = new Histogram({
      name: 'geo_sync_transferred_bytes',
      help: 'Bytes received from the primary per blob download',
      labelNames: ['replicable', 'result'],
      buckets: SYNC_BYTES_BUCKETS,
      registers: [registry],
    });
    this.lag = new Histogram({
      name: 'geo_sync_lag_seconds',
      help: "Seconds from the primary's write of a record (its created_at) to its blob synced on this secondary",
      labelNames: ['replicable'],
      buckets: SYNC_LAG_BUCKETS,
      registers: [registry],
    });
  }

  downloaded(o: SyncObservation): void {
    const labels = { replicable: o.replicableName, result: o.result };
    this.duration.observe(labels, o.durationSeconds);
    this.bytes.observe(labels, o.bytes);
    if (o.lagSeconds !== undefined) this.lag.observe({ replicable: o.replicableName }, o.lagSeconds);
  }
}
