import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { Consumer, JsMsg } from '@nats-io/jetstream';
import { abortableSleep, errorFields, ErrorCodes, GeoError, isGeoError, ValidationError, type LoggerPort } from '@geo/domain';
import {
  decodeSyncJob,
  defaultRetryDelayMs,
  ensureConsumer,
  ensureStream,
  extractTraceContext,
  GEO_SYNC_JOBS_STREAM,
  geoSyncJobsStream,
  pullConsumer,
  type JetStreamSession,
  type SyncJob,
} from '@geo/nats';
import { spansExported } from '@geo/otel';
import { BackgroundTask, type Component } from '@geo/service-kit';
import { FsBlobStore, type BlobStore } from '@geo/storage';
import type { DownloadOutcome } from './download-blob';

export const DEFAULT_SYNC_CONCURRENCY = 16;
export const SYNC_WORKER_DURABLE = 'geo-blob-transfer';
export const DEFAULT_SYNC_ACK_WAIT_MS = 60_000;
export const DEFAULT_STOP_GRACE_MS = 1000;
/** Tracer of the worker's own spans. */
const TRACER_NAME = '@geo/blob-transfer';
const DEFAULT_FETCH_EXPIRES_MS = 30_000;
const DEFAULT_IDLE_RETRY_MS = 1000;
const MAX_FAILURE_BACKOFF_MS = 30_000;

/** What a settled job did, for counters, metrics and tests. */
export type JobSettlement = 'ack' | 'nak' | 'term';

export interface SyncWorkerOptions {
  /** The site's NATS connection (`NatsLink`, started before this component). */
  readonly nats: { session(): JetStreamSession | undefined };
  /** Runs one job (`BlobDownloadService`). */
  readonly downloader: { download(job: SyncJob, signal?: AbortSignal): Promise<DownloadOutcome> };
  /** The site's blob store; an `FsBlobStore` has its crash debris removed before the first job. */
  readonly blobStore: BlobStore;
  readonly logger: LoggerPort;
  /** Downloads running at once; default 16. */
  readonly concurrency?: number;
  /** Work-queue stream; default `GEO_SYNC_JOBS` (tests pass unique names). */
  readonly streamName?: string;
  /** Subject prefix the stream captures (`<prefix>.>`); default `geo.v1.jobs.sync`. */
  readonly subjectPrefix?: string;
  /** Durable pull consumer shared by every blob-transfer replica; default `geo-blob-transfer`. */
  readonly durable?: string;
  /** Unacked time before redelivery; default 60 s. Long downloads report progress every third of it. */
  readonly ackWaitMs?: number;
  /** How long one pull waits for jobs (≥ 1 s); default 30 s. */
  readonly fetchExpiresMs?: number;
  /** On stop, how long in-flight downloads may finish before they are aborted; default 1 s. */
  readonly stopGraceMs?: number;
  /** Redelivery delay of a retryable failure; default 1 s doubling to 5 min. */
  readonly retryDelayMs?: (error: GeoError, deliveryCount: number) => number;
  /**
   * Age below which `tmp_*` files survive the start-up cleanup; default none (all are removed). Set
   * it when several processes write into one fs root, so a restart spares the others' live writes.
   */
  readonly temporariesOlderThanMs?: number;
  /** Called after each job is settled. */
  readonly onSettled?: (settlement: JobSettlement, job: SyncJob | undefined) => void;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new ValidationError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** One job being worked on, and how to abort it. */
interface InFlight {
  readonly done: Promise<void>;
  readonly controller: AbortController;
}

/**
 * Pulls `SyncJob`s from the site's `GEO_SYNC_JOBS` work queue (durable consumer `geo-blob-transfer`,
 * shared by every replica) and runs up to `concurrency` downloads at once.
 *
 * Settlement: a download that resolved (synced, failed and recorded, skipped, lease lost) is acked
 * after its database write; a retryable error (PostgreSQL or the blob store down) is nak'ed with a
 * growing delay; a malformed job or a non-retryable error is terminated. While a download runs its
 * message is kept alive with `working()`, so big blobs never hit the ack wait.
 *
 * Crash safety: a killed process leaves rows `started` and jobs unacked; JetStream redelivers them
 * after the ack wait and the attempt guard makes that safe. Temp files of cut-short writes are removed
 * at the next start (fs store), before the first job runs.
 *
 * Stop: pulling stops at once; downloads in flight get `stopGraceMs` to finish, then are aborted
 * (the store removes their temp data) and nak'ed without delay so another replica takes them.
 */
export class SyncWorker implements Component {
  readonly name = 'blob-sync-worker';
  private readonly concurrency: number;
  private readonly streamName: string;
  private readonly durable: string;
  private readonly ackWaitMs: number;
  private readonly fetchExpiresMs: number;
  private readonly stopGraceMs: number;
  private readonly inFlight = new Set<InFlight>();
  /** Wakes the pull loop when a slot frees up or on stop. */
  private wake: (() => void) | undefined;
  private readonly task: BackgroundTask;

  constructor(private readonly options: SyncWorkerOptions) {
    this.task = new BackgroundTask(this.name, (signal) => this.run(signal));
    this.concurrency = positiveInteger('concurrency', options.concurrency ?? DEFAULT_SYNC_CONCURRENCY);
    this.ackWaitMs = positiveInteger('ackWaitMs', options.ackWaitMs ?? DEFAULT_SYNC_ACK_WAIT_MS);
    this.fetchExpiresMs = Math.max(1000, positiveInteger('fetchExpiresMs', options.fetchExpiresMs ?? DEFAULT_FETCH_EXPIRES_MS));
    this.stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    if (!Number.isInteger(this.stopGraceMs) || this.stopGraceMs < 0) throw new ValidationError(`stopGraceMs must be a non-negative integer, got ${this.stopGraceMs}`);
    this.streamName = options.streamName ?? GEO_SYNC_JOBS_STREAM;
    this.durable = options.durable ?? SYNC_WORKER_DURABLE;
  }

  /** Downloads running right now. */
  get activeDownloads(): number {
    return this.inFlight.size;
  }

  /** Starts the pull loop in the background (it waits for NATS by itself) and returns. */
  async start(): Promise<void> {
    this.task.start();
    this.options.logger.info({ stream: this.streamName, durable: this.durable, concurrency: this.concurrency }, 'blob-transfer: sync worker started');
  }

  async stop(): Promise<void> {
    if (!(await this.task.stop(() => this.wake?.()))) return;
    await this.drain();
    this.options.logger.info({ stream: this.streamName, durable: this.durable }, 'blob-transfer: sync worker stopped');
  }

  /** Lets in-flight downloads finish within the grace period, then aborts the rest and waits for them. */
  private async drain(): Promise<void> {
    if (this.inFlight.size === 0) return;
    const grace = new AbortController();
    const all = Promise.all([...this.inFlight].map((f) => f.done));
    await Promise.race([all, abortableSleep(this.stopGraceMs, grace.signal)]);
    grace.abort();
    if (this.inFlight.size > 0) {
      this.options.logger.warn({ aborted: this.inFlight.size }, 'blob-transfer: aborting downloads still running at stop');
      for (const f of this.inFlight) f.controller.abort(new GeoError(ErrorCodes.CANCELLED, 'blob-transfer is stopping', { retryable: true }));
    }
    await all;
  }

  private async run(signal: AbortSignal): Promise<void> {
    await this.removeTemporaries();
    let consumer: { readonly epoch: number; readonly consumer: Consumer } | undefined;
    let failures = 0;
    while (!signal.aborted) {
      const session = this.options.nats.session();
      if (session === undefined) {
        await abortableSleep(DEFAULT_IDLE_RETRY_MS, signal);
        continue;
      }
      try {
        // A reconnect may have landed on a wiped or new server: make sure the stream is there again.
        if (consumer?.epoch !== session.epoch) consumer = { epoch: session.epoch, consumer: await this.ensure(session) };
        await this.freeSlot(signal);
        if (signal.aborted) break;
        await this.pull(consumer.consumer, signal);
        failures = 0;
      } catch (error) {
        if (signal.aborted) break;
        consumer = undefined;
        failures += 1;
        const delayMs = Math.min(500 * 2 ** Math.min(failures, 6), MAX_FAILURE_BACKOFF_MS);
        this.options.logger.warn({ stream: this.streamName, durable: this.durable, delayMs, ...errorFields(error) }, 'blob-transfer: pulling sync jobs failed; retrying');
        await abortableSleep(delayMs, signal);
      }
    }
  }

  private async ensure(session: JetStreamSession): Promise<Consumer> {
    const { subjectPrefix } = this.options;
    await ensureStream(session.jsm, geoSyncJobsStream({ name: this.streamName, ...(subjectPrefix === undefined ? {} : { subjectPrefix }) }));
    await ensureConsumer(session.jsm, this.streamName, pullConsumer({ durable: this.durable, ackWaitMs: this.ackWaitMs }));
    return session.js.consumers.get(this.streamName, this.durable);
  }

  /** One pull of at most the free slots' worth of jobs; each job starts as soon as it arrives. */
  private async pull(consumer: Consumer, signal: AbortSignal): Promise<void> {
    const messages = await consumer.fetch({ max_messages: this.concurrency - this.inFlight.size, expires: this.fetchExpiresMs });
    const stop = (): void => messages.stop();
    signal.addEventListener('abort', stop, { once: true });
    // Stop may have come while the pull was being set up; the listener would never fire then.
    if (signal.aborted) stop();
    try {
      for await (const m of messages) {
        // Fetched after stop was requested: hand it straight back.
        if (signal.aborted) m.nak();
        else this.dispatch(m);
      }
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  /** Waits until fewer than `concurrency` downloads run (or stop). */
  private async freeSlot(signal: AbortSignal): Promise<void> {
    while (this.inFlight.size >= this.concurrency && !signal.aborted) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  private dispatch(m: JsMsg): void {
    let job: SyncJob;
    try {
      job = decodeSyncJob(m.data);
    } catch (error) {
      // No reason text: nats-server 2.9 does not parse `+TERM <reason>` and would leave the message pending.
      m.term();
      this.options.logger.error({ subject: m.subject, seq: m.seq, ...errorFields(error) }, 'blob-transfer: malformed sync job terminated');
      this.settled('term', undefined);
      return;
    }
    const controller = new AbortController();
    const entry: InFlight = {
      controller,
      done: this.work(m, job, controller.signal).finally(() => {
        this.inFlight.delete(entry);
        this.wake?.();
      }),
    };
    this.inFlight.add(entry);
  }

  /**
   * Runs one job and settles its message; never rejects. The job runs in a `geo.sync.job` CONSUMER
   * span continuing the trace its message carries (the scheduler's publish, ADR 0009), while spans
   * are exported; without an exporter the per-job tracing work is skipped (a hot path).
   */
  private async work(m: JsMsg, job: SyncJob, signal: AbortSignal): Promise<void> {
    if (!spansExported()) return this.runJob(m, job, signal, undefined);
    const parent = extractTraceContext(m);
    const span = trace.getTracer(TRACER_NAME).startSpan(
      'geo.sync.job',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': m.subject,
          'messaging.consumer.group.name': this.durable,
          'messaging.nats.delivery_count': m.info.deliveryCount,
          'geo.replicable': job.replicableName,
          'geo.model_record_id': job.modelRecordId,
        },
      },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), () => this.runJob(m, job, signal, span));
    } finally {
      span.end();
    }
  }

  private async runJob(m: JsMsg, job: SyncJob, signal: AbortSignal, span: Span | undefined): Promise<void> {
    const heartbeat = setInterval(() => m.working(), Math.max(1000, Math.floor(this.ackWaitMs / 3)));
    let settlement: JobSettlement;
    try {
      const outcome = await this.options.downloader.download(job, signal);
      span?.setAttribute('geo.sync.outcome', outcome.status);
      if (outcome.status === 'failed') span?.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
      m.ack();
      settlement = 'ack';
    } catch (error) {
      span?.recordException(error instanceof Error ? error : String(error));
      span?.setStatus({ code: SpanStatusCode.ERROR });
      const facts = { replicable_name: job.replicableName, model_record_id: job.modelRecordId, deliveryCount: m.info.deliveryCount, ...errorFields(error) };
      if (signal.aborted) {
        m.nak();
        settlement = 'nak';
      } else if (isGeoError(error) && error.retryable) {
        const delayMs = (this.options.retryDelayMs ?? defaultRetryDelayMs)(error, m.info.deliveryCount);
        m.nak(delayMs);
        settlement = 'nak';
        this.options.logger.warn({ ...facts, delayMs }, 'blob-transfer: sync job failed (retryable); it will be redelivered');
      } else {
        m.term();
        settlement = 'term';
        this.options.logger.error(facts, 'blob-transfer: sync job failed (not retryable); terminated');
      }
    } finally {
      clearInterval(heartbeat);
    }
    this.settled(settlement, job);
  }

  private settled(settlement: JobSettlement, job: SyncJob | undefined): void {
    try {
      this.options.onSettled?.(settlement, job);
    } catch (error) {
      this.options.logger.error(errorFields(error), 'blob-transfer: onSettled hook failed');
    }
  }

  /** Removes `tmp_*` files a killed process left behind (fs store only); a failure is logged, not fatal. */
  private async removeTemporaries(): Promise<void> {
    const store = this.options.blobStore;
    if (!(store instanceof FsBlobStore)) return;
    const olderThanMs = this.options.temporariesOlderThanMs;
    try {
      const removed = await store.removeTemporaries(olderThanMs === undefined ? {} : { olderThanMs });
      if (removed > 0) this.options.logger.info({ removed }, 'blob-transfer: removed temporary files left by an earlier run');
    } catch (error) {
      this.options.logger.warn(errorFields(error), 'blob-transfer: removing temporary files failed; they stay until the next start');
    }
  }
}
