import type { MigrationBuilder } from 'node-pg-migrate';

/**
 * What a secondary knows about each record it tracks (ADR 0004): the primary catalogue's description
 * (blob key, size, owner, primary checksum, the definition's attribute columns). GitLab secondaries
 * read this from their streaming replica of the primary's database; ours have no such replica, so
 * the sweep and the event consumer store it next to the registry row. It lets a secondary install,
 * serve and delete a blob without asking the primary, also after the primary deleted the model row.
 */
export function up(pgm: MigrationBuilder): void {
  pgm.sql(`CREATE TABLE geo_replicable_records (
    replicable_name character varying(255) NOT NULL,
    model_record_id bigint NOT NULL,
    blob_key text NOT NULL,
    size bigint NOT NULL,
    file_store smallint DEFAULT 1 NOT NULL,
    project_id bigint,
    primary_verification_state smallint DEFAULT 0 NOT NULL,
    primary_checksum bytea,
    primary_verified_at timestamp with time zone,
    attributes jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    PRIMARY KEY (replicable_name, model_record_id)
  )`);
  // The symbol server's lookup on a secondary: the SSQP signature, case-insensitive (as the
  // primary's `lower(signature)` index).
  pgm.sql(`CREATE INDEX index_geo_replicable_records_on_lower_signature
    ON geo_replicable_records USING btree (replicable_name, lower(attributes->>'signature'))`);
}
