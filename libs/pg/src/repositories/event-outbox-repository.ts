import { ValidationError } from '@geo/domain';
import { mappingPgErrors } from '../errors';
import type { SqlExecutor } from '../transaction';
import { toId } from './registry-row-mapping';

/** An event to append to the outbox (`geo_events`). */
export interface NewGeoEvent {
  /** Replicable slug, e.g. `packages_nuget_symbol`. */
  readonly replicableName: string;
  /** `created`, `deleted` or `checksum_succeeded` (validated by the domain, not here). */
  readonly eventName: string;
  /** JSON payload with string keys (spec §4.3), e.g. `{ model_record_id: 1 }`. */
  readonly payload: Readonly<Record<string, unknown>>;
}

/** A stored outbox row. `id` is the global order the relay publishes in and the dedupe id. */
export interface GeoEventRecord extends NewGeoEvent {
  readonly id: number;
  readonly createdAt: Date;
  /** When the relay published it to JetStream; null while pending. */
  readonly relayedAt: Date | null;
}

interface GeoEventDbRow {
  id: string;
  replicable_name: string;
  event_name: string;
  payload: Record<string, unknown>;
  created_at: Date;
  relayed_at: Date | null;
}

const COLUMNS = 'id, replicable_name, event_name, payload, created_at, relayed_at';

function fromDb(row: GeoEventDbRow): GeoEventRecord {
  return {
    id: toId(row.id),
    replicableName: row.replicable_name,
    eventName: row.event_name,
    payload: row.payload,
    createdAt: row.created_at,
    relayedAt: row.relayed_at,
  };
}

/**
 * The transactional outbox. Writers append in THEIR transaction (pass the transaction's client) so
 * an event exists if and only if the model change committed; the relay reads the unrelayed tail in
 * id order and marks what it published.
 */
export class EventOutboxRepository {
  constructor(private readonly db: SqlExecutor) {}

  /** Appends events in order using `tx` (normally the client of the caller's open transaction). */
  async insert(tx: SqlExecutor, events: readonly NewGeoEvent[]): Promise<GeoEventRecord[]> {
    if (events.length === 0) return [];
    return mappingPgErrors('insert geo_events', async () => {
      // unnest WITH ORDINALITY keeps the ids in the order the caller gave the events.
      const result = await tx.query<GeoEventDbRow>(
        `INSERT INTO geo_events (replicable_name, event_name, payload)
         SELECT r, e, p FROM unnest($1::varchar[], $2::varchar[], $3::jsonb[]) WITH ORDINALITY AS t(r, e, p, n)
         ORDER BY n
         RETURNING ${COLUMNS}`,
        [events.map((e) => e.replicableName), events.map((e) => e.eventName), events.map((e) => JSON.stringify(e.payload))],
      );
      return result.rows.map(fromDb).sort((a, b) => a.id - b.id);
    });
  }

  /** Unrelayed events with `id > afterId`, in id order. */
  async listUnrelayed(options: { readonly limit: number; readonly afterId?: number }): Promise<GeoEventRecord[]> {
    if (!Number.isInteger(options.limit) || options.limit <= 0) {
      throw new ValidationError(`limit must be a positive integer, got ${options.limit}`);
    }
    return mappingPgErrors('list geo_events', async () => {
      const result = await this.db.query<GeoEventDbRow>(
        `SELECT ${COLUMNS} FROM geo_events WHERE relayed_at IS NULL AND id > $1 ORDER BY id LIMIT $2`,
        [options.afterId ?? 0, options.limit],
      );
      return result.rows.map(fromDb);
    });
  }

  /** Marks events as published; already-relayed ones keep their first timestamp. Returns rows changed. */
  async markRelayed(ids: readonly number[], at?: Date): Promise<number> {
    if (ids.length === 0) return 0;
    return mappingPgErrors('mark geo_events relayed', async () => {
      const result = await this.db.query(
        'UPDATE geo_events SET relayed_at = COALESCE($2::timestamptz, now()) WHERE id = ANY($1::bigint[]) AND relayed_at IS NULL',
        [ids, at ?? null],
      );
      return result.rowCount ?? 0;
    });
  }
}
