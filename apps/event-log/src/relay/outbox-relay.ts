import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { abortableSleep, errorFields, isGeoError, ValidationError, type LoggerPort } from '@geo/domain';
import type { GeoEventRecord } from '@geo/pg';
import { BackgroundTask, type Component } from '@geo/service-kit';
import { DEFAULT_RETRY_DELAY, retryDelayMs, type RetryDelayPolicy } from '@geo/domain';

/** The outbox as the relay uses it; `EventOutboxRepository` satisfies it. */
export interface RelayOutbox {
  /** The oldest unrelayed events, in id order. */
  listUnrelayed(options: { readonly limit: number }): Promise<GeoEventRecord[]>;
  /** Records that these events are in the stream; idempotent. */
  markRelayed(ids: readonly number[]): Promise<number>;
}

/** Puts one event on the stream; resolves only once the stream acknowledged (stored or deduped) it. */
export interface GeoEventPublisher {
  /**
   * Makes the destination ready (the stream exists) before any event is published; called on every
   * pass, so it must be cheap once done. Rejects while the destination is unreachable.
   */
  ready?(): Promise<void>;
  publish(event: GeoEventRecord): Promise<{ readonly duplicate: boolean }>;
}

/** What one pass over the unrelayed tail did. */
export interface RelayPass {
  /** Events read from the outbox (at most the batch size). */
  readonly read: number;
  /** Events acknowledged by the stream and marked relayed: always a prefix of what was read. */
  readonly relayedIds: readonly number[];
  /** How many of those the stream already had (a republish after a crash between ack and mark). */
  readonly duplicates: number;
  /**
   * The first event that could not be published (the events after it were not tried); without
   * `eventId` when the destination could not be made ready, before any event was tried.
   */
  readonly failure: { readonly eventId?: number; readonly error: unknown } | undefined;
}

export interface OutboxRelayOptions {
  readonly outbox: RelayOutbox;
  readonly publisher: GeoEventPublisher;
  readonly logger: LoggerPort;
  /** Events read per pass; default 100. */
  readonly batchSize?: number;
  /** Pause after a pass that found less than a full batch; bounds the relay's latency. Default 200 ms. */
  readonly pollIntervalMs?: number;
  /** Backoff after failed passes; default 100 ms doubling to 5 s. */
  readonly retryDelay?: RetryDelayPolicy;
}

export const DEFAULT_RELAY_BATCH_SIZE = 100;
export const DEFAULT_RELAY_POLL_INTERVAL_MS = 200;

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new ValidationError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/**
 * Relays the transactional outbox (`geo_events`) to JetStream on the primary (DESIGN §4 flow 2).
 *
 * Invariants:
 * - Order: events are published one at a time in id order, each only after the previous one was
 *   acknowledged, so the stream holds them in id order (no pipelining: a failed message followed by
 *   an acknowledged one would reorder them). The first failure ends the pass; the next pass starts
 *   again at the first unacknowledged event.
 * - At-least-once into the stream, exactly-once in it: a row is marked relayed only after its ack.
 *   A crash between ack and mark republishes the row, and the stream drops it by `Nats-Msg-Id`
 *   (dedupe window ≥ 2 min, default 5 min).
 * - Nothing is lost while NATS or PostgreSQL is down: the rows stay unrelayed and the relay retries
 *   with backoff for ever, logging each failed attempt (warn when retryable, error otherwise, e.g.
 *   a row whose names cannot form a subject: it blocks the relay until fixed and is never skipped).
 *
 * A row committed late with a lower id than rows already relayed (concurrent writers) is published
 * when it becomes visible, after them: events of one record are still in order, because a record's
 * later event is written by a transaction that saw the earlier one committed.
 */
export class OutboxRelay implements Component {
  readonly name = 'outbox-relay';
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private readonly retryDelay: RetryDelayPolicy;
  private readonly task = new BackgroundTask('outbox relay', (signal) => this.run(signal));

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = positiveInteger('batchSize', options.batchSize ?? DEFAULT_RELAY_BATCH_SIZE);
    this.pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? DEFAULT_RELAY_POLL_INTERVAL_MS);
    this.retryDelay = options.retryDelay ?? DEFAULT_RETRY_DELAY;
    retryDelayMs(1, this.retryDelay); // validates the policy now rather than at the first failure
  }

  /** Starts the loop in the background and returns at once: NATS being down must not block start-up. */
  async start(): Promise<void> {
    this.task.start();
  }

  /** Stops after the publish in flight (if any) settles and its batch's acknowledged prefix is marked. */
  async stop(): Promise<void> {
    await this.task.stop();
  }

  /**
   * One pass: reads up to a batch of unrelayed events and publishes them in order until the first
   * failure (or `signal` aborts), then marks the acknowledged prefix relayed. Rejects only when the
   * outbox itself fails (the stream may then hold events not yet marked: they are deduped later).
   */
  async relayOnce(signal?: AbortSignal): Promise<RelayPass> {
    const { outbox, publisher } = this.options;
    // The poll and the mark are bookkeeping, not part of any request's trace: without this, every
    // idle poll would become a root span in the pg instrumentation.
    const events = await untraced(() => outbox.listUnrelayed({ limit: this.batchSize }));
    const relayedIds: number[] = [];
    let duplicates = 0;
    let failure: RelayPass['failure'];
    try {
      await publisher.ready?.();
    } catch (error) {
      return { read: events.length, relayedIds, duplicates, failure: { error } };
    }
    for (const event of events) {
      if (signal?.aborted === true) break;
      try {
        const ack = await publisher.publish(event);
        relayedIds.push(event.id);
        if (ack.duplicate) duplicates += 1;
      } catch (error) {
        failure = { eventId: event.id, error };
        break;
      }
    }
    if (relayedIds.length > 0) await untraced(() => outbox.markRelayed(relayedIds));
    return { read: events.length, relayedIds, duplicates, failure };
  }

  private async run(signal: AbortSignal): Promise<void> {
    const { logger } = this.options;
    logger.info({ batchSize: this.batchSize, pollIntervalMs: this.pollIntervalMs }, 'event-log relay: started');
    let failures = 0;
    while (!signal.aborted) {
      let pass: RelayPass | undefined;
      let failure: { readonly eventId?: number; readonly error: unknown } | undefined;
      try {
        pass = await this.relayOnce(signal);
        failure = pass.failure;
      } catch (error) {
        failure = { error };
      }
      if (signal.aborted) break;
      if (failure === undefined) {
        if (failures > 0) logger.info({ failedAttempts: failures }, 'event-log relay: recovered');
        failures = 0;
        // A full batch means more are probably waiting: go on at once. Otherwise the tail is drained.
        if ((pass?.read ?? 0) < this.batchSize) await abortableSleep(this.pollIntervalMs, signal);
        continue;
      }
      failures += 1;
      const delayMs = retryDelayMs(failures, this.retryDelay);
      const fields = {
        ...errorFields(failure.error),
        eventId: failure.eventId,
        relayedBeforeFailure: pass?.relayedIds.length ?? 0,
        consecutiveFailures: failures,
        delayMs,
      };
      const retryable = isGeoError(failure.error) && failure.error.retryable;
      if (retryable) logger.warn(fields, 'event-log relay: cannot relay events now; retrying');
      else logger.error(fields, 'event-log relay: relaying failed; retrying (this will not fix itself)');
      await abortableSleep(delayMs, signal);
    }
    logger.info({}, 'event-log relay: stopped');
  }
}

/** Runs `fn` with tracing suppressed (instrumented clients create no spans), on a clean context. */
function untraced<T>(fn: () => Promise<T>): Promise<T> {
  return context.with(suppressTracing(ROOT_CONTEXT), fn);
}
