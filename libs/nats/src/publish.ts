import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { JetStreamClient } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { UnavailableError } from '@geo/domain';
import { injectTraceContext } from './trace-headers';

export const NATS_TRACER_NAME = '@geo/nats';

export interface PublishOptions {
  /** Sets `Nats-Msg-Id`: the stream stores a message once per id within its dedupe window. */
  readonly msgId?: string;
  /** Extra headers (trace context is added on top). */
  readonly headers?: Readonly<Record<string, string>>;
  /** PubAck timeout; default the client's (5 s). */
  readonly timeoutMs?: number;
}

export interface PublishResult {
  readonly stream: string;
  /** Stream sequence of the stored message (of the original when `duplicate`). */
  readonly seq: number;
  /** True when the stream already had this `msgId` and did not store it again. */
  readonly duplicate: boolean;
}

/**
 * Publishes to JetStream and waits for the stream's acknowledgement, inside a PRODUCER span
 * whose context travels in the message's headers. Any failure (no stream, timeout, connection
 * down) is a retryable `UnavailableError`: the caller's outbox still holds the intent.
 */
export async function publish(js: JetStreamClient, subject: string, data: Uint8Array | string, options: PublishOptions = {}): Promise<PublishResult> {
  const tracer = trace.getTracer(NATS_TRACER_NAME);
  return tracer.startActiveSpan(
    `publish ${subject}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        'messaging.system': 'nats',
        'messaging.operation.type': 'send',
        'messaging.destination.name': subject,
        ...(options.msgId === undefined ? {} : { 'messaging.message.id': options.msgId }),
      },
    },
    async (span) => {
      try {
        const h = natsHeaders();
        for (const [key, value] of Object.entries(options.headers ?? {})) h.set(key, value);
        injectTraceContext(h);
        const ack = await js.publish(subject, data, {
          headers: h,
          ...(options.msgId === undefined ? {} : { msgID: options.msgId }),
          ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
        });
        span.setAttributes({ 'messaging.nats.stream': ack.stream, 'messaging.nats.sequence': ack.seq, 'messaging.nats.duplicate': ack.duplicate });
        return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
        const reason = String((error as { message?: unknown } | null)?.message ?? error);
        throw new UnavailableError(`publish to ${subject} failed: ${reason}`, { cause: error, details: { subject, msgId: options.msgId } });
      } finally {
        span.end();
      }
    },
  );
}
