import type { MigrationBuilder } from 'node-pg-migrate';

/**
 * The log cursor (GitLab `Geo::EventLogState`, spec §4.1): the id of the last primary event this
 * secondary has applied. One row; `event_id` is the primary key as in GitLab.
 */
export function up(pgm: MigrationBuilder): void {
  pgm.sql(`CREATE TABLE geo_event_log_states (
    event_id bigint PRIMARY KEY,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
  )`);
}
