import { z } from 'zod';
import { ValidationError } from '@geo/domain';
import { GEO_EVENTS_SUBJECT_PREFIX, geoEventSubject } from '@geo/nats';
import type { GeoEventRecord } from '@geo/pg';

/**
 * Wire format v1 of a message on the `GEO_EVENTS` stream (see apps/event-log/README.md):
 *
 * - subject `geo.v1.events.<replicable_name>.<event_name>` (consumers may filter per type/event);
 * - header `Nats-Msg-Id: <id>` (JetStream drops a republished id within the dedupe window) plus the
 *   W3C `traceparent`/`tracestate` of the publish span, a child of the writer's trace;
 * - body: this JSON object, UTF-8. `payload` is the outbox row's payload unchanged (spec §4.3 keys,
 *   e.g. `model_record_id`); `id` is the primary's `geo_events.id`, the secondary's log cursor.
 *
 * Fields are only ever added; a consumer ignores keys it does not know.
 */
export interface GeoEventMessage {
  /** `geo_events.id`: the global event order and the dedupe id. */
  readonly id: number;
  readonly replicable_name: string;
  readonly event_name: string;
  readonly payload: Readonly<Record<string, unknown>>;
  /** When the primary wrote the event, ISO 8601 in UTC with milliseconds. */
  readonly created_at: string;
}

/** What the relay hands to JetStream for one outbox row. */
export interface OutgoingGeoEvent {
  readonly subject: string;
  /** `Nats-Msg-Id`: the decimal event id. */
  readonly msgId: string;
  readonly message: GeoEventMessage;
  /** The JSON-encoded `message`. */
  readonly data: string;
}

/**
 * The message for an outbox row. Throws `ValidationError` when the row's names cannot form a subject
 * (a bug in the writer: such a row blocks the relay until fixed, it is never skipped).
 */
export function toOutgoingGeoEvent(
  event: Pick<GeoEventRecord, 'id' | 'replicableName' | 'eventName' | 'payload' | 'createdAt'>,
  subjectPrefix: string = GEO_EVENTS_SUBJECT_PREFIX,
): OutgoingGeoEvent {
  const message: GeoEventMessage = {
    id: event.id,
    replicable_name: event.replicableName,
    event_name: event.eventName,
    payload: event.payload,
    created_at: event.createdAt.toISOString(),
  };
  return {
    subject: geoEventSubject(event.replicableName, event.eventName, subjectPrefix),
    msgId: String(event.id),
    message,
    data: JSON.stringify(message),
  };
}

const geoEventMessageSchema = z.looseObject({
  id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  replicable_name: z.string().min(1),
  event_name: z.string().min(1),
  payload: z.record(z.string(), z.unknown()),
  created_at: z.iso.datetime({ offset: true }),
});

/**
 * Reads a `GEO_EVENTS` message body (the secondary's log cursor will use this). Unknown keys are
 * tolerated; missing or mistyped ones are a `ValidationError` naming them.
 */
export function parseGeoEventMessage(data: string | Uint8Array): GeoEventMessage {
  const text = typeof data === 'string' ? data : new TextDecoder().decode(data);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ValidationError('geo event message is not JSON', { cause: error });
  }
  const parsed = geoEventMessageSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
    throw new ValidationError(`invalid geo event message: ${problems.join('; ')}`, { details: { problems } });
  }
  const { id, replicable_name, event_name, payload, created_at } = parsed.data;
  return { id, replicable_name, event_name, payload, created_at };
}
