import { context, propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { UnavailableError, type LoggerPort } from '@geo/domain';
import { ensureStream, GEO_EVENTS_SUBJECT_PREFIX, geoEventsStream, publish, type EventsStreamOptions, type StreamSpec } from '@geo/nats';
import type { GeoEventRecord } from '@geo/pg';
import type { JetStreamSession } from '@geo/nats';
import { toOutgoingGeoEvent } from './geo-event-message';
import type { GeoEventPublisher } from './outbox-relay';

export interface JetStreamEventPublisherOptions {
  /** Where the live JetStream handles come from (a `NatsLink`). */
  readonly link: { session(): JetStreamSession | undefined };
  readonly logger: LoggerPort;
  /** The `GEO_EVENTS` stream preset's options; tests pass their own name and prefix. */
  readonly stream?: EventsStreamOptions;
  /** How long to wait for the stream's ack; default the client's 5 s. */
  readonly publishTimeoutMs?: number;
}

/**
 * Publishes outbox rows to `GEO_EVENTS` in the wire format of `geo-event-message.ts`. The stream is
 * ensured (created or updated to the preset) once per connection, by `ready` (the relay calls it on
 * every pass, so the stream exists before the first event: a new secondary can create its durable
 * consumer, which starts at the newest event, without missing that first one) or by the first
 * publish, and again after any failure, so a server that came back empty, or a deleted stream,
 * heals itself.
 */
export class JetStreamEventPublisher implements GeoEventPublisher {
  private readonly stream: StreamSpec;
  private readonly subjectPrefix: string;
  /** The session epoch the stream was last ensured for. */
  private ensuredEpoch: number | undefined;

  constructor(private readonly options: JetStreamEventPublisherOptions) {
    this.stream = geoEventsStream(options.stream);
    this.subjectPrefix = options.stream?.subjectPrefix ?? GEO_EVENTS_SUBJECT_PREFIX;
  }

  /** Ensures the stream for the current connection (a no-op once done for it). */
  async ready(): Promise<void> {
    await this.ensured(this.currentSession());
  }

  async publish(event: GeoEventRecord): Promise<{ readonly duplicate: boolean }> {
    const outgoing = toOutgoingGeoEvent(event, this.subjectPrefix);
    const session = this.currentSession();
    try {
      await this.ensured(session);
      // The publish span (and the trace context in the message headers) continues the writer's trace.
      const ack = await context.with(writerContext(event), () =>
        publish(session.js, outgoing.subject, outgoing.data, {
          msgId: outgoing.msgId,
          ...(this.options.publishTimeoutMs === undefined ? {} : { timeoutMs: this.options.publishTimeoutMs }),
        }),
      );
      return { duplicate: ack.duplicate };
    } catch (error) {
      this.ensuredEpoch = undefined;
      throw error;
    }
  }

  private currentSession(): JetStreamSession {
    const session = this.options.link.session();
    if (session === undefined) throw new UnavailableError('NATS is not connected');
    return session;
  }

  private async ensured(session: JetStreamSession): Promise<void> {
    if (this.ensuredEpoch === session.epoch) return;
    const { action } = await ensureStream(session.jsm, this.stream);
    if (action !== 'unchanged') this.options.logger.info({ stream: this.stream.name, action }, 'event-log: stream ensured');
    this.ensuredEpoch = session.epoch;
  }
}

/**
 * The context stored with the row, on top of ROOT: the relay loop's own ambient context must not
 * leak in. Rows written without a trace start a new one.
 */
function writerContext(event: GeoEventRecord): Context {
  return event.traceContext === null ? ROOT_CONTEXT : propagation.extract(ROOT_CONTEXT, event.traceContext);
}
