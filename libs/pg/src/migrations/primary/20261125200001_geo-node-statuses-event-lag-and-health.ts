import type { MigrationBuilder } from 'node-pg-migrate';

/**
 * What `geo_node_statuses` needs beyond GitLab's columns (ADR 0007):
 * - `event_lag_seconds`: the event stream's lag, which replaces `db_replication_lag_seconds` (we have
 *   no database streaming; that column stays NULL, as GitLab leaves it without replication);
 * - `health_issues`: the causes a site reported (`[{"code": …, "message": …}]`), so a reader can add
 *   the staleness rule to them without parsing `status_message`;
 * - `status_message` without the 255-character limit (GitLab's column has none): it joins every
 *   issue's message.
 */
export function up(pgm: MigrationBuilder): void {
  pgm.sql(`ALTER TABLE geo_node_statuses
    ADD COLUMN event_lag_seconds integer,
    ADD COLUMN health_issues jsonb DEFAULT '[]'::jsonb NOT NULL,
    ALTER COLUMN status_message TYPE character varying`);
}
