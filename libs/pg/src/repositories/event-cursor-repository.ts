import { ErrorCodes, GeoError, ValidationError } from '@geo/domain';
import { mappingPgErrors } from '../errors';
import type { SqlExecutor } from '../transaction';
import { toId } from './registry-row-mapping';

/** A position in the primary's event log: an event id and when the primary wrote that event. */
export interface EventCursorPosition {
  /** The primary's `geo_events.id`. */
  readonly eventId: number;
  /** The event's `created_at` on the primary (GeoNodeStatus `cursor_last_event_timestamp`). */
  readonly eventCreatedAt: Date;
}

/** The stored log cursor (GitLab `Geo::EventLogState`): the last event this secondary applied. */
export interface EventCursor {
  readonly eventId: number;
  /** Null only for a row written before the column existed. */
  readonly eventCreatedAt: Date | null;
  /** When the cursor row was first written. */
  readonly createdAt: Date;
  /** When this site last moved the cursor (applied an event past it). */
  readonly updatedAt: Date;
}

interface CursorDbRow {
  event_id: string;
  event_created_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = 'event_id, event_created_at, created_at, updated_at';

function fromDb(row: CursorDbRow): EventCursor {
  return { eventId: toId(row.event_id), eventCreatedAt: row.event_created_at, createdAt: row.created_at, updatedAt: row.updated_at };
}

/**
 * The secondary's `geo_event_log_states` (spec §4.1): ONE row holding the id (and primary-side
 * creation time) of the last event applied. The event consumer moves it in the same transaction as
 * the registry changes of the events, so the cursor never claims an event whose effects were lost.
 *
 * Invariants: at most one row; the stored id never decreases (the relay may publish a late-committed
 * lower id after higher ones, and a redelivered batch replays old ids; neither moves it back).
 */
export class PgEventCursorRepository {
  /** `db` is a transaction's client for `advance`; a pool is fine for `read`. */
  constructor(private readonly db: SqlExecutor) {}

  /** The cursor, or undefined before the first event was applied. */
  async read(): Promise<EventCursor | undefined> {
    return mappingPgErrors('select geo_event_log_states', async () => {
      // ORDER BY/LIMIT: should a second row ever exist (written by hand), the highest one is the cursor.
      const result = await this.db.query<CursorDbRow>(`SELECT ${COLUMNS} FROM geo_event_log_states ORDER BY event_id DESC LIMIT 1`);
      const row = result.rows[0];
      return row === undefined ? undefined : fromDb(row);
    });
  }

  /**
   * Moves the cursor forward to `position` (inserting the row on first use); a position at or
   * behind the stored id leaves the row untouched. Returns the stored cursor afterwards.
   *
   * Must run inside the caller's open transaction: the `LOCK TABLE` (PostgreSQL refuses it outside
   * a transaction block) serialises concurrent writers until commit, so two consumers starting at
   * once cannot insert two rows, and it does not block plain reads (status).
   */
  async advance(position: EventCursorPosition): Promise<EventCursor> {
    const { eventId, eventCreatedAt } = position;
    if (!Number.isSafeInteger(eventId) || eventId <= 0) throw new ValidationError(`event id must be a positive integer, got ${eventId}`);
    if (Number.isNaN(eventCreatedAt.getTime())) throw new ValidationError('event created_at must be a valid time');
    return mappingPgErrors('advance geo_event_log_states', async () => {
      await this.db.query('LOCK TABLE geo_event_log_states IN SHARE ROW EXCLUSIVE MODE');
      const moved = await this.db.query<CursorDbRow>(
        `UPDATE geo_event_log_states SET event_id = $1, event_created_at = $2, updated_at = now()
         WHERE event_id < $1
         RETURNING ${COLUMNS}`,
        [eventId, eventCreatedAt],
      );
      if (moved.rows[0] !== undefined) return fromDb(moved.rows[0]);
      const inserted = await this.db.query<CursorDbRow>(
        `INSERT INTO geo_event_log_states (event_id, event_created_at, created_at, updated_at)
         SELECT $1, $2, now(), now()
         WHERE NOT EXISTS (SELECT 1 FROM geo_event_log_states)
         RETURNING ${COLUMNS}`,
        [eventId, eventCreatedAt],
      );
      if (inserted.rows[0] !== undefined) return fromDb(inserted.rows[0]);
      // The stored cursor is already at or past `eventId`: never move it backwards.
      const current = await this.db.query<CursorDbRow>(`SELECT ${COLUMNS} FROM geo_event_log_states ORDER BY event_id DESC LIMIT 1`);
      const row = current.rows[0];
      // Unreachable while the table lock is held: the UPDATE or the INSERT matched otherwise.
      if (row === undefined) throw new GeoError(ErrorCodes.INTERNAL, 'geo_event_log_states: cursor row vanished under the table lock');
      return fromDb(row);
    });
  }
}
