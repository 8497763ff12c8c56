import { context, propagation } from '@opentelemetry/api';
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
  /**
   * Propagation fields (W3C `traceparent`/`tracestate`) of the trace the event belongs to. Leave it
   * out to capture the active OpenTelemetry context at insert time (the normal case: the writer runs
   * inside the request's span); pass `null` to store none.
   */
  readonly traceContext?: Readonly<Record<string, string>> | null;
}

/** A stored outbox row. `id` is the global order the relay publishes in and the dedupe id. */
export interface GeoEventRecord {
  readonly id: number;
  readonly replicableName: string;
  readonly eventName: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly createdAt: Date;
  /** When the relay published it to JetStream; null while pending. */
  readonly relayedAt: Date | null;
  /** The writer's propagation fields (extract them with `propagation.extract`); null when it had no trace. */
  readonly traceContext: Readonly<Record<string, string>> | null;
}

export interface InsertEventsOptions {
  /**
   * Insert only if an enabled secondary site exists, checked in the same statement (GitLab writes
   * events only while a secondary exists; one round trip instead of two on every push).
   */
  readonly onlyWithEnabledSecondary?: boolean;
}

/** SQL condition: `geo_sites` has an enabled secondary (GitLab: `Gitlab::Geo.secondary_nodes.any?`). */
export const ENABLED_SECONDARY_EXISTS = 'EXISTS (SELECT 1 FROM geo_sites WHERE NOT "primary" AND enabled)';

interface GeoEventDbRow {
  id: string;
  replicable_name: string;
  event_name: string;
  payload: Record<string, unknown>;
  created_at: Date;
  relayed_at: Date | null;
  trace_context: Record<string, string> | null;
}

const COLUMNS = 'id, replicable_name, event_name, payload, created_at, relayed_at, trace_context';

function fromDb(row: GeoEventDbRow): GeoEventRecord {
  return {
    id: toId(row.id),
    replicableName: row.replicable_name,
    eventName: row.event_name,
    payload: row.payload,
    createdAt: row.created_at,
    relayedAt: row.relayed_at,
    traceContext: row.trace_context,
  };
}

/**
 * The propagation fields of the active context, or null when there is nothing to propagate (no
 * active span, or no SDK/propagator registered: the API's no-op propagator writes nothing).
 */
function activeTraceContext(): Record<string, string> | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return Object.keys(carrier).length === 0 ? null : carrier;
}

/**
 * The transactional outbox. Writers append in THEIR transaction (pass the transaction's client) so
 * an event exists if and only if the model change committed; the relay reads the unrelayed tail in
 * id order and marks what it published.
 */
export class EventOutboxRepository {
  constructor(private readonly db: SqlExecutor) {}

  /**
   * Appends events in order using `tx` (normally the client of the caller's open transaction). Events
   * without an explicit `traceContext` get the context active at this call.
   */
  async insert(tx: SqlExecutor, events: readonly NewGeoEvent[], options: InsertEventsOptions = {}): Promise<GeoEventRecord[]> {
    if (events.length === 0) return [];
    const captured = events.some((e) => e.traceContext === undefined) ? activeTraceContext() : null;
    const traceContexts = events.map((e) => {
      const carrier = e.traceContext === undefined ? captured : e.traceContext;
      return carrier === null ? null : JSON.stringify(carrier);
    });
    return mappingPgErrors('insert geo_events', async () => {
      // unnest WITH ORDINALITY keeps the ids in the order the caller gave the events.
      const result = await tx.query<GeoEventDbRow>(
        `INSERT INTO geo_events (replicable_name, event_name, payload, trace_context)
         SELECT r, e, p, c FROM unnest($1::varchar[], $2::varchar[], $3::jsonb[], $4::jsonb[]) WITH ORDINALITY AS t(r, e, p, c, n)
         ${options.onlyWithEnabledSecondary === true ? `WHERE ${ENABLED_SECONDARY_EXISTS}` : ''}
         ORDER BY n
         RETURNING ${COLUMNS}`,
        [
          events.map((e) => e.replicableName),
          events.map((e) => e.eventName),
          events.map((e) => JSON.stringify(e.payload)),
          traceContexts,
        ],
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

  /**
   * The newest event (highest id), relayed or not: GitLab's `last_event_id`/`last_event_date` of the
   * primary's status. Undefined when the outbox is empty (never written, or pruned to nothing).
   */
  async lastEvent(): Promise<Pick<GeoEventRecord, 'id' | 'createdAt'> | undefined> {
    return mappingPgErrors('read last geo_event', async () => {
      const result = await this.db.query<Pick<GeoEventDbRow, 'id' | 'created_at'>>(
        'SELECT id, created_at FROM geo_events ORDER BY id DESC LIMIT 1',
      );
      const row = result.rows[0];
      return row === undefined ? undefined : { id: toId(row.id), createdAt: row.created_at };
    });
  }
}
