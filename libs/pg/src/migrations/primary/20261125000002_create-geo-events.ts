import type { MigrationBuilder } from 'node-pg-migrate';

/**
 * The outbox (GitLab `geo_events`, spec §4.1): written in the same transaction as the model change,
 * relayed to JetStream in id order by `event-log`. `relayed_at` is ours: NULL until published.
 */
export function up(pgm: MigrationBuilder): void {
  pgm.sql(`CREATE TABLE geo_events (
    id bigserial PRIMARY KEY,
    replicable_name character varying(255) NOT NULL,
    event_name character varying(255) NOT NULL,
    payload jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    relayed_at timestamp with time zone
  )`);
  // The relay scans only the unrelayed tail; the partial index stays tiny however long the log gets.
  pgm.sql('CREATE INDEX index_geo_events_on_id_where_not_relayed ON geo_events USING btree (id) WHERE (relayed_at IS NULL)');
}
