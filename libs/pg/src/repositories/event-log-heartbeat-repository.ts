import { ValidationError } from '@geo/domain';
import { mappingPgErrors } from '../errors';
import type { SqlExecutor } from '../transaction';

/** The newest heartbeat of the site's event-log consumer(s). */
export interface EventLogHeartbeat {
  readonly consumerName: string;
  /** When the consumer last read the primary's stream (the database's clock). */
  readonly lastReadAt: Date;
  /**
   * `now() - last_read_at` measured by the database, so the reader's judgement does not depend on
   * the clocks of the event-log and status hosts agreeing.
   */
  readonly secondsAgo: number;
}

interface HeartbeatDbRow {
  consumer_name: string;
  last_read_at: Date;
  seconds_ago: number;
}

/**
 * `geo_event_log_heartbeats` on a secondary (ADR 0007): the event-log consumer records that it is
 * reading the primary's stream; the status app reads the newest record for its
 * `event_consumer_silent` rule. Times are the database's `now()`, never a process clock.
 */
export class PgEventLogHeartbeatRepository {
  constructor(private readonly db: SqlExecutor) {}

  /** Records a read now; a heartbeat never moves back in time. */
  async record(consumerName: string): Promise<void> {
    if (consumerName.length === 0 || consumerName.length > 255) throw new ValidationError(`consumer name must have 1..255 characters, got ${consumerName.length}`);
    await mappingPgErrors('record geo_event_log_heartbeats', async () => {
      await this.db.query(
        `INSERT INTO geo_event_log_heartbeats (consumer_name, last_read_at) VALUES ($1, now())
         ON CONFLICT (consumer_name) DO UPDATE
           SET last_read_at = GREATEST(geo_event_log_heartbeats.last_read_at, EXCLUDED.last_read_at), updated_at = now()`,
        [consumerName],
      );
    });
  }

  /** The most recent heartbeat of any consumer, or undefined before the first one. */
  async latest(): Promise<EventLogHeartbeat | undefined> {
    return mappingPgErrors('read geo_event_log_heartbeats', async () => {
      const result = await this.db.query<HeartbeatDbRow>(
        `SELECT consumer_name, last_read_at, GREATEST(0, EXTRACT(EPOCH FROM now() - last_read_at))::float8 AS seconds_ago
         FROM geo_event_log_heartbeats ORDER BY last_read_at DESC LIMIT 1`,
      );
      const row = result.rows[0];
      return row === undefined ? undefined : { consumerName: row.consumer_name, lastReadAt: row.last_read_at, secondsAgo: row.seconds_ago };
    });
  }
}
