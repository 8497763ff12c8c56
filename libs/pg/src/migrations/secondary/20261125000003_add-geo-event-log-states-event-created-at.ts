import type { MigrationBuilder } from 'node-pg-migrate';

/**
 * `cursor_last_event_timestamp` of GeoNodeStatus is the primary-side creation time of the last
 * applied event, not when this site applied it (`updated_at`). GitLab reads it from the replicated
 * event log; ours arrives in the event message, so the cursor row keeps it.
 */
export function up(pgm: MigrationBuilder): void {
  pgm.sql('ALTER TABLE geo_event_log_states ADD COLUMN event_created_at timestamp with time zone');
}
