import type { MigrationBuilder } from 'node-pg-migrate';

/**
 * The event-log consumer's heartbeat (ADR 0007): when each durable consumer (`geo-<site>`) last read
 * the primary's event stream. The status app judges `event_consumer_silent` from it. A table of its
 * own, not a column of `geo_event_log_states`: the cursor row exists only once an event was applied,
 * and an idle consumer must still show it is alive.
 */
export function up(pgm: MigrationBuilder): void {
  pgm.sql(`CREATE TABLE geo_event_log_heartbeats (
    consumer_name character varying(255) PRIMARY KEY,
    last_read_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
  )`);
}
