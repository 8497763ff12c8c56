import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { abortableSleep, isGeoError, type GeoError, type LoggerPort } from '@geo/domain';
import { errorFields } from './logger';
import { NATS_TRACER_NAME } from './publish';
import { extractTraceContext } from './trace-headers';

/** A delivered message as handlers see it: no NATS types, no ack methods (the loop acks). */
export interface InboundMessage {
  readonly subject: string;
  readonly data: Uint8Array;
  /** Stream sequence. */
  readonly seq: number;
  /** 1 on first delivery, +1 per redelivery. */
  readonly deliveryCount: number;
  /** The publisher's `Nats-Msg-Id`, when set. */
  readonly msgId: string | undefined;
  header(name: string): string | undefined;
  string(): string;
  json<T = unknown>(): T;
}

/**
 * Processes one message. The outcome maps mechanically to JetStream:
 * resolve → `ack`; throw a `GeoError` with `retryable: true` → `nak(delay)` (redelivered later);
 * throw anything else → `term` (never redelivered, logged as an error). So wrap transient
 * failures (database or peer down) in a retryable error such as `UnavailableError`.
 */
export type MessageHandler = (message: InboundMessage) => Promise<void>;

/** What the loop did with a message, for logs and tests. */
export type MessageOutcome = 'ack' | 'nak' | 'term';

export interface ConsumeOptions {
  /** Stop signal: the loop stops pulling, lets the running handler finish, then resolves. */
  readonly signal: AbortSignal;
  readonly logger: LoggerPort;
  /** Messages per pull; default 10. */
  readonly batch?: number;
  /** How long one pull waits for messages (≥ 1000 ms); default 30 s. */
  readonly expiresMs?: number;
  /** Redelivery delay for a retryable failure; default exponential from 1 s, capped at 5 min. */
  readonly retryDelayMs?: (error: GeoError, deliveryCount: number) => number;
  /** Called after each message is settled (metrics, tests). */
  readonly onOutcome?: (outcome: MessageOutcome, message: InboundMessage) => void;
}

/** 1 s, 2 s, 4 s … capped at 5 minutes. */
export function defaultRetryDelayMs(_error: GeoError, deliveryCount: number): number {
  return Math.min(1000 * 2 ** Math.max(0, deliveryCount - 1), 5 * 60_000);
}

function toInbound(m: JsMsg): InboundMessage {
  return {
    subject: m.subject,
    data: m.data,
    seq: m.seq,
    deliveryCount: m.info.deliveryCount,
    msgId: m.headers?.has('Nats-Msg-Id') === true ? m.headers.get('Nats-Msg-Id') : undefined,
    header: (name) => (m.headers?.has(name) === true ? m.headers.get(name) : undefined),
    string: () => m.string(),
    json: <T>() => m.json<T>(),
  };
}

async function settle(m: JsMsg, handler: MessageHandler, options: ConsumeOptions): Promise<void> {
  const message = toInbound(m);
  const tracer = trace.getTracer(NATS_TRACER_NAME);
  const publisherContext = extractTraceContext(m);
  const span = tracer.startSpan(
    `process ${m.subject}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'process',
        'messaging.destination.name': m.subject,
        'messaging.nats.sequence': m.seq,
        'messaging.nats.delivery_count': message.deliveryCount,
      },
    },
    publisherContext,
  );
  const facts = { subject: m.subject, seq: m.seq, deliveryCount: message.deliveryCount, msgId: message.msgId };
  let outcome: MessageOutcome;
  try {
    await context.with(trace.setSpan(publisherContext, span), () => handler(message));
    m.ack();
    outcome = 'ack';
  } catch (error) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    if (isGeoError(error) && error.retryable) {
      const delayMs = (options.retryDelayMs ?? defaultRetryDelayMs)(error, message.deliveryCount);
      m.nak(delayMs);
      outcome = 'nak';
      options.logger.warn({ ...facts, delayMs, ...errorFields(error) }, 'nats: handler failed (retryable); message will be redelivered');
    } else {
      m.term();
      outcome = 'term';
      options.logger.error({ ...facts, ...errorFields(error) }, 'nats: handler failed (not retryable); message terminated');
    }
  } finally {
    span.end();
  }
  options.onOutcome?.(outcome, message);
}

/**
 * Pull-consumer loop over an existing durable consumer (see `ensureConsumer`): fetches up to
 * `batch` messages at a time and settles each with `handler`, one at a time, in order.
 * Resolves once `signal` aborts and the running handler has finished; messages fetched but not
 * yet handled are nak'ed without delay so another worker gets them at once. Connection or
 * consumer trouble is logged and retried with backoff; the loop only ends on `signal`.
 */
export async function consume(js: JetStreamClient, stream: string, durable: string, handler: MessageHandler, options: ConsumeOptions): Promise<void> {
  const { signal, logger } = options;
  const batch = options.batch ?? 10;
  const expires = Math.max(1000, options.expiresMs ?? 30_000);
  let failures = 0;
  logger.info({ stream, durable, batch }, 'nats: consumer loop started');
  while (!signal.aborted) {
    let messages: ConsumerMessages | undefined;
    const stop = (): void => messages?.stop();
    try {
      const consumer = await js.consumers.get(stream, durable);
      messages = await consumer.fetch({ max_messages: batch, expires });
      signal.addEventListener('abort', stop, { once: true });
      for await (const m of messages) {
        if (signal.aborted) {
          m.nak();
          continue;
        }
        await settle(m, handler, options);
      }
      failures = 0;
    } catch (error) {
      if (signal.aborted) break;
      failures += 1;
      const delayMs = Math.min(500 * 2 ** Math.min(failures, 6), 30_000);
      logger.warn({ stream, durable, delayMs, ...errorFields(error) }, 'nats: fetch failed; retrying');
      await abortableSleep(delayMs, signal);
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }
  logger.info({ stream, durable }, 'nats: consumer loop stopped');
}
