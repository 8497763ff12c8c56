import { JetStreamApiCodes, JetStreamApiError, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { UnavailableError, type EventLogPosition } from '@geo/domain';
import { GEO_EVENTS_STREAM, type JetStreamSession } from '@geo/nats';
import type { EventStreamSource, EventStreamView } from '../compute/ports';

/** Messages tried past a missing one (deleted by hand) before the position counts as unknown. */
const MAX_SEQUENCE_PROBES = 10;

/**
 * `geo-<site name>`: the durable consumer of a secondary's event-log on the primary's `GEO_EVENTS`
 * (DESIGN §4 flow 3; the event-log app names it the same way, `eventConsumerName`).
 */
export function eventConsumerDurable(siteName: string): string {
  return `geo-${siteName}`;
}

export interface JetStreamEventStreamViewOptions {
  /** Link to the PRIMARY's NATS (`GEO_PRIMARY_NATS_URL`). */
  readonly link: { session(): JetStreamSession | undefined };
  /** Shown in errors. */
  readonly url: string;
  /** This site's durable consumer (`eventConsumerDurable(siteName)`). */
  readonly durable: string;
  /** Default `GEO_EVENTS`; tests use their own. */
  readonly stream?: string;
}

/** The `id` and `created_at` of an event message body (the event-log wire format v1). */
function positionOf(data: Uint8Array, storedAt: Date): EventLogPosition | null {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(data));
  } catch {
    return null;
  }
  const { id, created_at: createdAt } = (body ?? {}) as { id?: unknown; created_at?: unknown };
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return null;
  const at = typeof createdAt === 'string' ? new Date(createdAt) : storedAt;
  return { eventId: id, createdAt: Number.isNaN(at.getTime()) ? storedAt : at };
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/**
 * Reads, on the primary's NATS, what the GeoNodeStatus of a secondary needs from the event stream
 * (ADR 0007):
 * - `last_event_id`/`last_event_timestamp`: the stream's newest message (events reach the stream in
 *   outbox order, so this is the newest event the primary has relayed);
 * - the unapplied events of this site's durable consumer: `num_pending` (not delivered yet) plus
 *   `num_ack_pending` (delivered, not acknowledged: the consumer acks only after its commit), and
 *   the oldest of them, whose `created_at` gives the event lag.
 */
export class JetStreamEventStreamView implements EventStreamSource {
  private readonly stream: string;

  constructor(private readonly options: JetStreamEventStreamViewOptions) {
    this.stream = options.stream ?? GEO_EVENTS_STREAM;
  }

  async read(): Promise<EventStreamView> {
    const session = this.options.link.session();
    if (session === undefined) throw new UnavailableError(`not connected to the primary's NATS (${this.options.url})`);
    const { jsm } = session;
    let state: { first_seq: number; last_seq: number; messages: number };
    try {
      state = (await jsm.streams.info(this.stream)).state;
    } catch (error) {
      // The primary has not relayed anything yet: no event to apply, so nothing is behind.
      if (isApiError(error, JetStreamApiCodes.StreamNotFound)) return { streamExists: false, lastEvent: null, unapplied: { count: 0, oldestCreatedAt: null } };
      throw error;
    }
    const lastEvent = state.messages > 0 ? await this.firstEventFrom(jsm, state.last_seq, state.last_seq) : null;
    let consumer: ConsumerInfo;
    try {
      consumer = await jsm.consumers.info(this.stream, this.options.durable);
    } catch (error) {
      if (isApiError(error, JetStreamApiCodes.ConsumerNotFound)) return { streamExists: true, lastEvent, unapplied: null };
      throw error;
    }
    const count = consumer.num_pending + consumer.num_ack_pending;
    if (count === 0) return { streamExists: true, lastEvent, unapplied: { count: 0, oldestCreatedAt: null } };
    // The oldest unapplied event follows the ack floor while deliveries await their ack, else the last
    // delivery (a consumer created with "deliver new" starts past the older messages it never gets).
    // Messages the stream's age limit dropped are gone: it then starts at first_seq.
    const settledUpTo = consumer.num_ack_pending > 0 ? consumer.ack_floor.stream_seq : consumer.delivered.stream_seq;
    const from = Math.max(settledUpTo + 1, state.first_seq);
    const oldest = await this.firstEventFrom(jsm, from, state.last_seq);
    return { streamExists: true, lastEvent, unapplied: { count, oldestCreatedAt: oldest?.createdAt ?? null } };
  }

  /** The first readable event at or after `from` (within `MAX_SEQUENCE_PROBES` and `last`). */
  private async firstEventFrom(jsm: JetStreamManager, from: number, last: number): Promise<EventLogPosition | null> {
    for (let seq = from; seq <= last && seq < from + MAX_SEQUENCE_PROBES; seq += 1) {
      const message = await jsm.streams.getMessage(this.stream, { seq });
      if (message === null) continue;
      const position = positionOf(message.data, message.time);
      if (position !== null) return position;
    }
    return null;
  }
}
