import { UnavailableError, type LoggerPort } from '@geo/domain';
import {
  encodeSyncJob,
  ensureStream,
  GEO_SYNC_JOBS_SUBJECT_PREFIX,
  geoSyncJobsStream,
  publish,
  syncJobMessageId,
  syncJobSubject,
  type JetStreamSession,
  type StreamPresetOptions,
  type StreamSpec,
  type SyncJob,
} from '@geo/nats';

/** Puts sync jobs on the site's work queue. */
export interface SyncJobPublisher {
  /** False while the queue cannot be reached (NATS down): callers should not start rows then. */
  isReady(): boolean;
  /**
   * Publishes one job and waits for the stream's ack. `Nats-Msg-Id` is `syncJobMessageId(job)`, so
   * publishing the same attempt again within the dedupe window stores it once. Throws a retryable
   * `UnavailableError` when it could not.
   */
  publishJob(job: SyncJob): Promise<void>;
}

export interface JetStreamSyncJobPublisherOptions {
  /** The site's NATS link (`NatsLink`, `NATS_URL`). */
  readonly link: { session(): JetStreamSession | undefined };
  readonly logger: LoggerPort;
  /** `GEO_SYNC_JOBS` preset options; tests pass a unique name and subject prefix. */
  readonly stream?: StreamPresetOptions;
  /** PubAck timeout; default the client's 5 s. */
  readonly publishTimeoutMs?: number;
}

/**
 * `SyncJobPublisher` over JetStream. The work-queue stream is ensured once per connection epoch
 * (and again after a failed publish), so a NATS server that came back empty heals itself; parallel
 * publishes share one ensure.
 */
export class JetStreamSyncJobPublisher implements SyncJobPublisher {
  private readonly stream: StreamSpec;
  private readonly subjectPrefix: string;
  private ensured: { readonly epoch: number; readonly done: Promise<void> } | undefined;

  constructor(private readonly options: JetStreamSyncJobPublisherOptions) {
    this.stream = geoSyncJobsStream(options.stream);
    this.subjectPrefix = options.stream?.subjectPrefix ?? GEO_SYNC_JOBS_SUBJECT_PREFIX;
  }

  isReady(): boolean {
    return this.options.link.session() !== undefined;
  }

  async publishJob(job: SyncJob): Promise<void> {
    const session = this.options.link.session();
    if (session === undefined) throw new UnavailableError('NATS is not connected; sync job not published');
    try {
      await this.ensureStream(session);
      await publish(session.js, syncJobSubject(job.replicableName, this.subjectPrefix), encodeSyncJob(job), {
        msgId: syncJobMessageId(job),
        ...(this.options.publishTimeoutMs === undefined ? {} : { timeoutMs: this.options.publishTimeoutMs }),
      });
    } catch (error) {
      this.ensured = undefined;
      throw error;
    }
  }

  private ensureStream(session: JetStreamSession): Promise<void> {
    if (this.ensured?.epoch !== session.epoch) {
      const done = ensureStream(session.jsm, this.stream).then(({ action }) => {
        if (action !== 'unchanged') this.options.logger.info({ stream: this.stream.name, action }, 'registry: sync job stream ensured');
      });
      this.ensured = { epoch: session.epoch, done };
    }
    return this.ensured.done;
  }
}
