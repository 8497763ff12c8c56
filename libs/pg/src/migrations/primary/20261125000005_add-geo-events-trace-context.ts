import type { MigrationBuilder } from 'node-pg-migrate';

/**
 * The W3C trace context (`traceparent`, `tracestate`, as a JSON object of propagation fields) of the
 * transaction that wrote each outbox row, so the relay can publish the event as a child of the
 * request that caused it: one ingest is one trace from HTTP to the secondary's consumer. NULL when
 * the writer had no active trace. Not a GitLab column; nothing reads it but the relay.
 */
export function up(pgm: MigrationBuilder): void {
  pgm.sql('ALTER TABLE geo_events ADD COLUMN trace_context jsonb');
}
