import {
  applySyncEvent,
  ErrorCodes,
  errorFields,
  GeoError,
  isGeoError,
  mathRandomJitter,
  ValidationError,
  type JitterSource,
  type LoggerPort,
  type ReplicableRecord,
  type TransitionContext,
} from '@geo/domain';
import type { SyncJob } from '@geo/nats';
import { spansExported, withSpan } from '@geo/otel';
import type { RegistryRepository, StoredRegistryRow } from '@geo/pg';
import type { BlobStore } from '@geo/storage';
import type { BlobRetriever, RetrievedBlob } from './blob-retriever';
import type { ByteBudget } from './byte-budget';
import { classifyDownloadFailure, type DownloadFailure, type DownloadPhase } from './download-failure';
import type { SyncObserver } from './sync-metrics';

/** The registry operations one download needs (`PgRegistryRepository` of the job's type). */
export type DownloadRegistry = Pick<RegistryRepository, 'replicable' | 'findByModelId' | 'markSynced' | 'markFailed'>;

/** The `geo_replicable_records` operations one download needs (`PgReplicableRecordRepository`). */
export interface DownloadRecords {
  findByModelIds(replicableName: string, modelIds: readonly number[]): Promise<ReplicableRecord[]>;
  setPrimaryChecksum(replicableName: string, modelRecordId: number, checksum: string, verifiedAt: Date | null): Promise<boolean>;
}

export interface BlobDownloadServiceOptions {
  /** One registry per replicable type this site replicates (jobs of other types are refused). */
  readonly registries: readonly DownloadRegistry[];
  readonly records: DownloadRecords;
  readonly retriever: BlobRetriever;
  readonly blobStore: BlobStore;
  readonly logger: LoggerPort;
  /** Clock for the registry transitions; default `new Date()`. */
  readonly clock?: () => Date;
  /** Backoff jitter; default `Math.random`. */
  readonly random?: JitterSource;
  /** Bounds the bytes of blobs in flight (memory); unbounded when absent. */
  readonly byteBudget?: ByteBudget;
  /** Sync histograms (ADR 0010): one observation per download that reached the primary. */
  readonly metrics?: SyncObserver;
}

/** How one job ended (the "Blob download" line says the same). */
export type DownloadOutcome =
  | { readonly status: 'synced'; readonly bytes: number; readonly sha256: string }
  | { readonly status: 'failed'; readonly reason: string }
  /** The row was not `started` with this attempt when the job began: a stale or duplicate job; nothing was done. */
  | { readonly status: 'skipped' }
  /** The row changed during the download (reset, restarted, timed out): the result was dropped. */
  | { readonly status: 'lease-lost'; readonly result: 'synced' | 'failed' };

/** Message of the retryable error a download throws when its signal aborted (shutdown): redeliver at once. */
export const DOWNLOAD_ABORTED_MESSAGE = 'blob download aborted';

/** Whether `row` is still the attempt `job` was published for (ADR 0004 §5: the attempt is the lease). */
function holdsLease(row: StoredRegistryRow, job: SyncJob): boolean {
  return row.state === 'started' && row.lastSyncedAt?.getTime() === job.attempt.getTime();
}

/** Per-download facts for the log line, filled in as the download goes. */
interface DownloadFacts {
  readonly replicable_name: string;
  readonly model_record_id: number;
  blob_key?: string;
  primary_checksum?: string;
}

/**
 * The secondary's download of one blob (GitLab `Geo::BlobDownloadService` + `BlobDownloader`), run
 * for one `SyncJob`. The registry row was moved to `started` by the scheduler; the job's attempt is
 * the lease, so every registry write is a compare-and-set on `started` + that attempt, and a job that
 * lost its lease changes nothing.
 *
 * Steps: check the lease → read the record's blob key → Retrieve from the primary → stream into the
 * blob store, which checks size and SHA-256 (when the primary has a checksum) before installing
 * atomically → mark synced, or failed with GitLab's texts and backoff. Memory is bounded by the
 * stream buffers whatever the blob size.
 *
 * Errors: failures of the blob (primary answers, broken transfers, mismatches) are recorded on the
 * row and the job resolves. Failures of this site's own infrastructure (PostgreSQL, blob store down)
 * are thrown as retryable `GeoError`s so the job is redelivered; the row stays `started`. An aborted
 * signal throws a retryable CANCELLED error and leaves nothing installed and no temp data.
 */
export class BlobDownloadService {
  private readonly registries: ReadonlyMap<string, DownloadRegistry>;
  private readonly clock: () => Date;
  private readonly random: JitterSource;

  constructor(private readonly options: BlobDownloadServiceOptions) {
    this.registries = new Map(options.registries.map((r) => [r.replicable.name, r]));
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? mathRandomJitter;
  }

  async download(job: SyncJob, signal?: AbortSignal): Promise<DownloadOutcome> {
    const registry = this.registries.get(job.replicableName);
    if (registry === undefined) throw new ValidationError(`no registry for replicable ${JSON.stringify(job.replicableName)} on this site`);
    const row = await registry.findByModelId(job.modelRecordId);
    const facts: DownloadFacts = { replicable_name: job.replicableName, model_record_id: job.modelRecordId };
    if (row === undefined || !holdsLease(row, job)) {
      this.options.logger.info(
        { ...facts, attempt: job.attempt.toISOString(), state: row?.state ?? null, last_synced_at: row?.lastSyncedAt?.toISOString() ?? null },
        'Blob download skipped: the registry row is not started with this attempt',
      );
      return { status: 'skipped' };
    }
    const [record] = await this.options.records.findByModelIds(job.replicableName, [job.modelRecordId]);
    if (record !== undefined) facts.blob_key = record.blobKey;
    // Held until the blob is installed or failed; a record-less job (size unknown) takes none.
    let release: () => void = () => undefined;
    try {
      if (this.options.byteBudget !== undefined) release = await this.options.byteBudget.acquire(record?.size ?? 0, signal);
    } catch (error) {
      this.throwIfAborted(signal, error); // stopping while queued: the job is redelivered
      throw error;
    }
    try {
      return await this.transfer(registry, row, job, record, facts, signal);
    } finally {
      release();
    }
  }

  private async transfer(
    registry: DownloadRegistry,
    row: StoredRegistryRow,
    job: SyncJob,
    record: ReplicableRecord | undefined,
    facts: DownloadFacts,
    signal: AbortSignal | undefined,
  ): Promise<DownloadOutcome> {
    const startedAt = performance.now();

    let retrieved: RetrievedBlob;
    try {
      retrieved = await this.options.retriever.retrieve(job.replicableName, job.modelRecordId, signal);
    } catch (error) {
      this.throwIfAborted(signal, error);
      return this.fail(registry, row, job, classifyDownloadFailure(error, 'retrieve'), { ...facts, startedAt, bytes: 0, error });
    }
    const { header, body } = retrieved;
    const key = record?.blobKey ?? header.blobKey;
    facts.blob_key = key;
    if (header.checksum !== '') facts.primary_checksum = header.checksum;

    // `put` rethrows errors of its source unchanged: remembering the body's own error tells a broken
    // transfer (the primary's side) from a failing store (ours).
    let transferError: { readonly error: unknown } | undefined;
    body.once('error', (error: unknown) => (transferError ??= { error }));
    let stored: { size: number; sha256: string };
    const put = (): Promise<{ size: number; sha256: string }> =>
      this.options.blobStore.put(key, body, {
        expect: { size: header.size, ...(header.checksum === '' ? {} : { sha256: header.checksum }) },
        ...(signal === undefined ? {} : { signal }),
      });
    try {
      // The store hashes while it writes and refuses to install on a size or SHA-256 difference from
      // the primary's: `geo.blob.checksum` is that check (its error is the mismatch), traced only
      // while spans are exported (a hot path).
      stored = !spansExported()
        ? await put()
        : await withSpan(
            'geo.blob.checksum',
            async (span) => {
              const result = await put();
              span.setAttributes({ 'geo.checksum.sha256': result.sha256, 'geo.blob.size': result.size });
              return result;
            },
            { 'geo.replicable': job.replicableName, 'geo.model_record_id': job.modelRecordId, 'geo.checksum.primary_sha256': header.checksum, 'geo.checksum.compared': header.checksum !== '' },
          );
    } catch (error) {
      // The store may have failed before reading everything (a bad key): end the call too.
      body.destroy();
      this.throwIfAborted(signal, error);
      const phase: DownloadPhase = transferError !== undefined && error === transferError.error ? 'transfer' : 'store';
      const mismatch = isMismatch(error) ? { actual_checksum: error.details['actualSha256'] ?? null } : {};
      return this.fail(registry, row, job, classifyDownloadFailure(error, phase), {
        ...facts,
        ...mismatch,
        startedAt,
        bytes: retrieved.bytesReceived(),
        error,
      });
    }

    // The primary's checksum is a fact about the record whoever wins the lease; keep it first.
    if (record !== undefined && header.checksum !== '' && record.primaryChecksum !== header.checksum) {
      await this.options.records.setPrimaryChecksum(job.replicableName, job.modelRecordId, header.checksum, record.primaryVerifiedAt);
    }
    const next = applySyncEvent(row, { event: 'synced', primaryVerificationSucceeded: header.checksum !== '' }, this.context());
    const written = await registry.markSynced(job.modelRecordId, next, job.attempt);
    // Lag only for a row this job synced: the primary's write time is the record's `created_at`.
    const lagSeconds = written !== undefined && record !== undefined ? Math.max(0, (Date.now() - record.createdAt.getTime()) / 1000) : undefined;
    this.options.metrics?.downloaded({
      replicableName: job.replicableName,
      result: 'synced',
      durationSeconds: (performance.now() - startedAt) / 1000,
      bytes: stored.size,
      ...(lagSeconds === undefined ? {} : { lagSeconds }),
    });
    this.options.logger.info(
      {
        ...facts,
        bytes_downloaded: stored.size,
        primary_missing_file: false,
        download_time_s: seconds(startedAt),
        reason: null,
        mark_as_synced: written !== undefined,
        ...(written === undefined ? { lease_lost: true } : {}),
      },
      'Blob download',
    );
    return written === undefined ? { status: 'lease-lost', result: 'synced' } : { status: 'synced', bytes: stored.size, sha256: stored.sha256 };
  }

  /** Records a failure on the row (attempt-guarded), or rethrows our own retryable failure. */
  private async fail(
    registry: DownloadRegistry,
    row: StoredRegistryRow,
    job: SyncJob,
    failure: DownloadFailure,
    facts: DownloadFacts & { readonly startedAt: number; readonly bytes: number; readonly error: unknown; readonly actual_checksum?: unknown },
  ): Promise<DownloadOutcome> {
    const { startedAt, bytes, error, ...fields } = facts;
    const line = { ...fields, bytes_downloaded: bytes, download_time_s: seconds(startedAt), ...errorFields(error) };
    if (failure.kind === 'retry') {
      this.options.logger.warn({ ...line, primary_missing_file: false, mark_as_synced: false }, 'Blob download interrupted by a local failure; the job will be retried');
      throw failure.error;
    }
    const next = applySyncEvent(
      row,
      {
        event: 'failed',
        message: failure.message,
        ...(failure.errorMessage === undefined ? {} : { errorMessage: failure.errorMessage }),
        missingOnPrimary: failure.missingOnPrimary,
      },
      this.context(),
    );
    this.options.metrics?.downloaded({ replicableName: job.replicableName, result: 'failed', durationSeconds: (performance.now() - startedAt) / 1000, bytes });
    const written = await registry.markFailed(
      job.modelRecordId,
      { lastSyncFailure: next.lastSyncFailure ?? failure.message, retryCount: next.retryCount, retryAt: next.retryAt },
      job.attempt,
    );
    this.options.logger.warn(
      {
        ...line,
        primary_missing_file: failure.missingOnPrimary,
        reason: next.lastSyncFailure,
        mark_as_synced: false,
        ...(failure.statusCode === undefined ? {} : { status_code: failure.statusCode }),
        ...(written === undefined ? { lease_lost: true } : { retry_count: next.retryCount, retry_at: next.retryAt?.toISOString() ?? null }),
      },
      'Blob download',
    );
    return written === undefined ? { status: 'lease-lost', result: 'failed' } : { status: 'failed', reason: next.lastSyncFailure ?? failure.message };
  }

  /** A failure caused by our own abort is no failure of the blob: redeliver the job. */
  private throwIfAborted(signal: AbortSignal | undefined, cause: unknown): void {
    if (signal?.aborted === true) throw new GeoError(ErrorCodes.CANCELLED, DOWNLOAD_ABORTED_MESSAGE, { cause, retryable: true });
  }

  private context(): TransitionContext {
    return { now: this.clock(), random: this.random };
  }
}

function isMismatch(error: unknown): error is GeoError {
  return isGeoError(error) && error.code === ErrorCodes.CHECKSUM_MISMATCH;
}

function seconds(since: number): number {
  return Math.round(performance.now() - since) / 1000;
}
