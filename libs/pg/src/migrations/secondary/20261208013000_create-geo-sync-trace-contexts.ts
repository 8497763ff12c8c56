import type { MigrationBuilder } from 'node-pg-migrate';

/**
 * The trace a pending registry row was created in (ADR 0009): the event consumer stores the
 * propagation fields (W3C `traceparent`/`tracestate`) of the `created` event it applied, in the same
 * transaction as the new registry row; the sync scheduler takes them (delete … returning) in the
 * transaction that claims the row and publishes the job as their child. So one push is one trace
 * down to the secondary's download. Only written while spans are exported; a row lives from the
 * event to the first claim (seconds). Not a GitLab table, and deliberately not a column of the
 * GitLab-shaped `*_registry` tables. Rows of registries deleted before their claim are removed with
 * them (`deleted` events, the sweep's orphan removal).
 */
export function up(pgm: MigrationBuilder): void {
  pgm.sql(`CREATE TABLE geo_sync_trace_contexts (
    replicable_name character varying(255) NOT NULL,
    model_record_id bigint NOT NULL,
    trace_context jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    PRIMARY KEY (replicable_name, model_record_id)
  )`);
}
