import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import {
  abortableSleep,
  ConfigError,
  errorFields,
  isGeoError,
  retryDelayMs,
  ValidationError,
  type LoggerPort,
  type RetryDelayPolicy,
} from '@geo/domain';
import { ensureConsumer, extractTraceContext, GEO_EVENTS_STREAM, NATS_TRACER_NAME, pullConsumer, type JetStreamSession } from '@geo/nats';
import { spansExported, traceCarrier, type TraceCarrier } from '@geo/otel';
import type { EventCursor } from '@geo/pg';
import { BackgroundTask, type Component } from '@geo/service-kit';
import { BatchCollector } from './batch-collector';
import { MAX_EVENT_BATCH_SIZE, type BatchResult, type EventApplier, type MessageDisposition } from './event-applier';
import type { EventStore } from './ports';

/** The log cursor's state for GeoNodeStatus (`cursor_last_event_id`, `cursor_last_event_timestamp`). */
export interface EventConsumerStatus {
  /** Id of the last event applied (the stored cursor after a restart); null before the first one. */
  readonly lastEventId: number | null;
  /** When the primary wrote that event. */
  readonly lastEventAt: Date | null;
  /** When this process last applied a batch (null until it did, also after a restart). */
  readonly lastAppliedAt: Date | null;
  /** Whether the link to the primary's NATS is up right now. */
  readonly connected: boolean;
}

export interface EventConsumerOptions {
  /** This site's name: the durable consumer is `geo-<siteName>`. */
  readonly siteName: string;
  /** Link to the PRIMARY's NATS (`GEO_PRIMARY_NATS_URL`); the caller starts it before and stops it after. */
  readonly link: { session(): JetStreamSession | undefined };
  readonly applier: Pick<EventApplier, 'apply'>;
  /** Where the cursor is read from at start (status only; JetStream keeps the read position). */
  readonly store: Pick<EventStore, 'readCursor'>;
  readonly logger: LoggerPort;
  /** The primary's event stream; default `GEO_EVENTS` (tests use their own). */
  readonly stream?: string;
  /** Messages per batch, 1..50; default 50 (GitLab's log cursor batch). */
  readonly batchSize?: number;
  /** How long a batch waits for more messages after its first; default 20 ms. */
  readonly lingerMs?: number;
  /** Lifetime of one pull request when the stream is idle (≥ 1000 ms); default 30 s. */
  readonly fetchExpiresMs?: number;
  /** Ack wait of the durable consumer; default 30 s. Long batches extend it with `working()`. */
  readonly ackWaitMs?: number;
  /** Backoff (nak delay) after failed batches and failed reads; default 1 s doubling to 30 s. */
  readonly retryDelay?: RetryDelayPolicy;
  readonly clock?: () => Date;
  /**
   * Where this site's durable consumer starts when it is first created: `new` (default) with the
   * events published after that, as GitLab's log cursor starts at the newest event (spec §12.3);
   * `all` from the oldest event the stream keeps. The consistency sweep covers what a new site did
   * not see. An existing durable keeps its position either way.
   */
  readonly startAt?: 'all' | 'new';
}

export const DEFAULT_EVENT_CONSUMER_RETRY_DELAY: RetryDelayPolicy = { initialMs: 1000, maxMs: 30_000 };
const DURABLE_TOKEN = /^[A-Za-z0-9_-]+$/;
/** Extra wait past a nak delay before pulling again, so the redelivered batch is first in line. */
const REDELIVERY_MARGIN_MS = 100;

/** The durable consumer name of a site: `geo-<site name>` (DESIGN §4 flow 3). */
export function eventConsumerName(siteName: string): string {
  if (!DURABLE_TOKEN.test(siteName)) {
    throw new ConfigError(`site name ${JSON.stringify(siteName)} cannot name a durable consumer (letters, digits, "-" and "_" only)`);
  }
  return `geo-${siteName}`;
}

/** How a batch ended: settled (acked/termed), or nak'ed for redelivery after `retryAfterMs`. */
type BatchOutcome = { readonly retryAfterMs?: number };

/**
 * The secondary's log cursor (spec §4.5): a durable pull consumer `geo-<site>` on the primary's
 * `GEO_EVENTS` (deliver all, explicit ack, ack wait 30 s, at most one batch unacknowledged), read in
 * batches of up to 50 that the `EventApplier` applies in one transaction.
 *
 * Invariants:
 * - Ack only after commit: messages are acked (or termed, when unreadable) once the batch's
 *   transaction committed; a crash before that redelivers them, and applying is idempotent.
 * - Order: `max_ack_pending` equals the batch size, so the server hands out no later message while a
 *   batch is unacknowledged; a failed batch is nak'ed with a backoff delay (and the rest of the pull
 *   with it), and the next pull waits past that delay, so the batch comes back first.
 * - Failures: retryable ones (database, primary or blob store down) are retried with backoff for
 *   ever; a batch failing otherwise is re-applied one message at a time and only the message that
 *   still fails is terminated (logged as an error): one poison event never blocks the log.
 * - NATS outages: the `NatsLink` reconnects; the loop waits for a session, re-ensures the consumer
 *   on every new connection (a wiped server), and resumes from the server-side position.
 *
 * One active consumer per site is the expected deployment (GitLab holds a lease for that). A
 * second replica is safe (idempotent writes, a cursor that never moves back) but may apply two
 * neighbouring batches out of order; the consistency sweep converges what that could leave behind.
 */
export class EventConsumer implements Component {
  readonly name = 'event-log-consumer';
  private readonly durable: string;
  private readonly stream: string;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly fetchExpiresMs: number;
  private readonly ackWaitMs: number;
  private readonly retryDelay: RetryDelayPolicy;
  private readonly task = new BackgroundTask('event consumer', (signal) => this.run(signal));
  private ensuredEpoch: number | undefined;
  private cursorLoaded = false;
  /** Logs the first failed cursor read only: the loop retries it on every pass. */
  private cursorLoadFailed = false;
  /** Consecutive batches that failed retryably (the backoff exponent). */
  private applyFailures = 0;
  /** The last pull request to the primary's stream succeeded (cleared by a failed read or a lost session). */
  private pulling = false;
  private state: Omit<EventConsumerStatus, 'connected'> = { lastEventId: null, lastEventAt: null, lastAppliedAt: null };

  constructor(private readonly options: EventConsumerOptions) {
    this.durable = eventConsumerName(options.siteName);
    this.stream = options.stream ?? GEO_EVENTS_STREAM;
    this.batchSize = options.batchSize ?? MAX_EVENT_BATCH_SIZE;
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1 || this.batchSize > MAX_EVENT_BATCH_SIZE) {
      throw new ValidationError(`batchSize must be an integer in 1..${MAX_EVENT_BATCH_SIZE}, got ${this.batchSize}`);
    }
    this.lingerMs = options.lingerMs ?? 20;
    this.fetchExpiresMs = Math.max(1000, options.fetchExpiresMs ?? 30_000);
    this.ackWaitMs = options.ackWaitMs ?? 30_000;
    if (!(this.ackWaitMs >= 1000)) throw new ValidationError(`ackWaitMs must be at least 1000, got ${this.ackWaitMs}`);
    this.retryDelay = options.retryDelay ?? DEFAULT_EVENT_CONSUMER_RETRY_DELAY;
    retryDelayMs(1, this.retryDelay); // validates the policy now
  }

  /** The durable consumer's name (`geo-<site>`). */
  get consumerName(): string {
    return this.durable;
  }

  status(): EventConsumerStatus {
    return { ...this.state, connected: this.options.link.session() !== undefined };
  }

  /**
   * Whether the consumer is reading the primary's stream right now: running, connected, and its last
   * pull request was accepted. What the heartbeat records (ConsumerHeartbeat, ADR 0007).
   */
  isReading(): boolean {
    return this.pulling && this.options.link.session() !== undefined;
  }

  /** Starts the loop in the background: the primary's NATS or the database being down must not block start-up. */
  async start(): Promise<void> {
    this.task.start();
  }

  /** Stops pulling, lets the batch in progress finish (or nak itself), then resolves. */
  async stop(): Promise<void> {
    await this.task.stop();
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { logger } = this.options;
    logger.info({ stream: this.stream, durable: this.durable, batchSize: this.batchSize }, 'event-log consumer: started');
    let readFailures = 0;
    while (!signal.aborted) {
      await this.loadCursor();
      const session = this.options.link.session();
      if (session === undefined) {
        this.pulling = false;
        // The link logs its own outage; just wait for it to come back.
        await abortableSleep(Math.min(this.retryDelay.initialMs, 500), signal);
        continue;
      }
      try {
        const consumer = await this.consumerOf(session);
        const messages = await consumer.fetch({ max_messages: this.batchSize, expires: this.fetchExpiresMs });
        this.pulling = true;
        if (readFailures > 0) logger.info({ failedAttempts: readFailures }, 'event-log consumer: reading the primary stream again');
        readFailures = 0;
        await this.drain(messages, signal);
      } catch (error) {
        this.pulling = false;
        if (signal.aborted) break;
        this.ensuredEpoch = undefined; // the consumer or stream may be gone: ensure again
        readFailures += 1;
        const delayMs = retryDelayMs(readFailures, this.retryDelay);
        logger.warn({ ...errorFields(error), stream: this.stream, durable: this.durable, consecutiveFailures: readFailures, delayMs }, 'event-log consumer: cannot read the primary event stream; retrying');
        await abortableSleep(delayMs, signal);
      }
    }
    this.pulling = false;
    logger.info({}, 'event-log consumer: stopped');
  }

  /** Fills the status from the stored cursor once (best effort: a database outage only delays it). */
  private async loadCursor(): Promise<void> {
    if (this.cursorLoaded) return;
    let cursor: EventCursor | undefined;
    try {
      cursor = await this.options.store.readCursor();
    } catch (error) {
      if (!this.cursorLoadFailed) this.options.logger.warn(errorFields(error), 'event-log consumer: cannot read the stored cursor yet');
      this.cursorLoadFailed = true;
      return;
    }
    this.cursorLoaded = true;
    if (cursor !== undefined && (this.state.lastEventId === null || cursor.eventId > this.state.lastEventId)) {
      this.state = { ...this.state, lastEventId: cursor.eventId, lastEventAt: cursor.eventCreatedAt };
    }
  }

  /** The durable consumer, created or updated to the preset once per connection. */
  private async consumerOf(session: JetStreamSession): Promise<Consumer> {
    if (this.ensuredEpoch !== session.epoch) {
      const spec = pullConsumer({ durable: this.durable, ackWaitMs: this.ackWaitMs, maxAckPending: this.batchSize, startAt: this.options.startAt ?? 'new' });
      const { action } = await ensureConsumer(session.jsm, this.stream, spec);
      if (action !== 'unchanged') this.options.logger.info({ stream: this.stream, durable: this.durable, action }, 'event-log consumer: durable consumer ensured');
      this.ensuredEpoch = session.epoch;
    }
    return session.js.consumers.get(this.stream, this.durable);
  }

  /** Applies the batches of one pull until it ends, a batch must be retried, or the consumer stops. */
  private async drain(messages: ConsumerMessages, signal: AbortSignal): Promise<void> {
    const stopPull = (): void => messages.stop();
    signal.addEventListener('abort', stopPull, { once: true });
    const collector = new BatchCollector<JsMsg>(messages[Symbol.asyncIterator](), { maxSize: this.batchSize, lingerMs: this.lingerMs });
    try {
      for (;;) {
        const batch = await collector.next();
        if (batch.length === 0) return;
        if (signal.aborted) {
          // Fetched after stop: hand them back at once, in order, for the next start.
          for (const m of batch) this.reply(m, 'nak');
          continue;
        }
        const { retryAfterMs } = await this.process(batch, signal);
        if (retryAfterMs !== undefined) {
          // What this pull still holds goes back with the same delay, behind the failed batch.
          stopPull();
          for (let rest = await collector.next(); rest.length > 0; rest = await collector.next()) for (const m of rest) this.reply(m, 'nak', retryAfterMs);
          await abortableSleep(retryAfterMs + REDELIVERY_MARGIN_MS, signal);
          return;
        }
      }
    } finally {
      signal.removeEventListener('abort', stopPull);
    }
  }

  /**
   * Applies one batch inside a CONSUMER span linked to each message's publish span. While spans are
   * exported, each message that carries a trace also gets a `geo.event.consume` span in THAT trace
   * (child of its publish span, linked to the batch span), and its context is handed to the applier:
   * a new registry row keeps it, so the sync job continues the push's trace (ADR 0009).
   */
  private process(batch: readonly JsMsg[], signal: AbortSignal): Promise<BatchOutcome> {
    const publishers = batch.map((m) => trace.getSpanContext(extractTraceContext(m)));
    const links: Link[] = publishers.flatMap((spanContext) => (spanContext === undefined ? [] : [{ context: spanContext }]));
    const tracer = trace.getTracer(NATS_TRACER_NAME);
    return tracer.startActiveSpan(
      `process ${this.stream} batch`,
      {
        kind: SpanKind.CONSUMER,
        links,
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': this.stream,
          'messaging.consumer.group.name': this.durable,
          'messaging.batch.message_count': batch.length,
        },
      },
      context.active(),
      async (span) => {
        // Keeps the batch from being redelivered while a slow primary or database holds it up.
        const keepAlive = setInterval(() => batch.forEach((m) => this.reply(m, 'working')), Math.max(1000, Math.floor(this.ackWaitMs / 3)));
        const perMessage = spansExported() ? batch.map((m, i) => this.messageSpan(m, publishers[i], span)) : [];
        const carriers = perMessage.length === 0 ? undefined : perMessage.map((s) => (s === undefined ? null : traceCarrier(trace.setSpan(ROOT_CONTEXT, s))));
        let failed = false;
        try {
          const outcome = await this.applyBatch(batch, signal, carriers);
          failed = outcome.retryAfterMs !== undefined;
          return outcome;
        } catch (error) {
          failed = true;
          throw error;
        } finally {
          clearInterval(keepAlive);
          for (const s of [span, ...perMessage]) {
            if (failed) s?.setStatus({ code: SpanStatusCode.ERROR });
            s?.end();
          }
        }
      },
    );
  }

  /** `geo.event.consume`: one message's step in its own trace; undefined when it carries none. */
  private messageSpan(m: JsMsg, publisher: SpanContext | undefined, batchSpan: Span): Span | undefined {
    if (publisher === undefined) return undefined;
    return trace.getTracer(NATS_TRACER_NAME).startSpan(
      'geo.event.consume',
      {
        kind: SpanKind.CONSUMER,
        links: [{ context: batchSpan.spanContext() }],
        attributes: {
          'messaging.system': 'nats',
          'messaging.operation.type': 'process',
          'messaging.destination.name': m.subject,
          'messaging.consumer.group.name': this.durable,
          'messaging.nats.sequence': m.seq,
          'messaging.nats.delivery_count': m.info.deliveryCount,
        },
      },
      trace.setSpanContext(ROOT_CONTEXT, publisher),
    );
  }

  private async applyBatch(batch: readonly JsMsg[], signal: AbortSignal, traces: readonly (TraceCarrier | null)[] | undefined): Promise<BatchOutcome> {
    const { logger } = this.options;
    try {
      this.settle(batch, await this.options.applier.apply(batch.map((m) => m.data), signal, traces));
      return {};
    } catch (error) {
      if (signal.aborted || isRetryable(error)) return this.retryLater(batch, error, signal);
      if (batch.length === 1) {
        this.terminate(batch[0] as JsMsg, error);
        return {};
      }
      logger.error({ ...errorFields(error), messages: batch.length, firstSeq: batch[0]?.seq }, 'event-log consumer: batch failed; applying its messages one at a time');
    }
    // Isolate the poison message: each alone, in order; only one that fails by itself is terminated.
    for (let i = 0; i < batch.length; i += 1) {
      const m = batch[i] as JsMsg;
      try {
        this.settle([m], await this.options.applier.apply([m.data], signal, traces === undefined ? undefined : [traces[i] ?? null]));
      } catch (error) {
        if (signal.aborted || isRetryable(error)) return this.retryLater(batch.slice(i), error, signal);
        this.terminate(m, error);
      }
    }
    return {};
  }

  /** Acks (or terms the rejected) after the commit, and moves the status forward. */
  private settle(batch: readonly JsMsg[], result: BatchResult): void {
    batch.forEach((m, i) => {
      const disposition: MessageDisposition = result.dispositions[i] ?? 'applied';
      // No term reason: nats-server 2.9 only understands a bare `+TERM` and ignores `+TERM <reason>`.
      this.reply(m, disposition === 'rejected' ? 'term' : 'ack');
    });
    this.applyFailures = 0;
    const { cursor } = result;
    if (cursor !== undefined) {
      const now = this.options.clock?.() ?? new Date();
      const ahead = this.state.lastEventId === null || cursor.eventId > this.state.lastEventId;
      this.state = ahead ? { lastEventId: cursor.eventId, lastEventAt: cursor.eventCreatedAt, lastAppliedAt: now } : { ...this.state, lastAppliedAt: now };
    }
  }

  private terminate(m: JsMsg, error: unknown): void {
    this.reply(m, 'term');
    this.options.logger.error({ ...errorFields(error), seq: m.seq, deliveryCount: m.info.deliveryCount }, 'event-log consumer: event cannot be applied; message terminated');
  }

  /**
   * Sends one acknowledgement. These are fire-and-forget publishes that throw only when the
   * connection is closed for good; the message is then redelivered after the ack wait (applying it
   * again is harmless), so a failure is logged, never thrown (it would crash a timer callback).
   */
  private reply(m: JsMsg, kind: 'ack' | 'nak' | 'term' | 'working', delayMs?: number): void {
    try {
      if (kind === 'ack') m.ack();
      else if (kind === 'nak') m.nak(delayMs);
      else if (kind === 'term') m.term();
      else m.working();
    } catch (error) {
      this.options.logger.warn({ ...errorFields(error), seq: m.seq, reply: kind }, 'event-log consumer: acknowledgement not sent; the message will be redelivered');
    }
  }

  /** Naks `messages` for redelivery: at once when stopping, after the backoff delay otherwise. */
  private retryLater(messages: readonly JsMsg[], error: unknown, signal: AbortSignal): BatchOutcome {
    if (signal.aborted) {
      for (const m of messages) this.reply(m, 'nak');
      return {};
    }
    this.applyFailures += 1;
    const delayMs = retryDelayMs(this.applyFailures, this.retryDelay);
    for (const m of messages) this.reply(m, 'nak', delayMs);
    this.options.logger.warn(
      { ...errorFields(error), messages: messages.length, firstSeq: messages[0]?.seq, consecutiveFailures: this.applyFailures, delayMs },
      'event-log consumer: cannot apply events now; batch will be redelivered',
    );
    return { retryAfterMs: delayMs };
  }
}

function isRetryable(error: unknown): boolean {
  return isGeoError(error) && error.retryable;
}
