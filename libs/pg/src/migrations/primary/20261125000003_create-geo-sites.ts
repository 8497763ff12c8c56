import type { MigrationBuilder } from 'node-pg-migrate';

/**
 * Site administration (GitLab `geo_nodes`, renamed sites in the UI/API) with the defaults of spec §8.4,
 * the selective-sync namespace links, and the stored GeoNodeStatus of every site.
 */
export function up(pgm: MigrationBuilder): void {
  // `secret_access_key` signs the site's JWTs (GitLab stores it encrypted with a per-install key).
  // `selective_sync_type`: NULL (everything), 'namespaces' or 'shards'.
  pgm.sql(`CREATE TABLE geo_sites (
    id bigserial PRIMARY KEY,
    name character varying(255) NOT NULL,
    url character varying(255) NOT NULL,
    internal_url character varying(255),
    "primary" boolean DEFAULT false NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    access_key character varying(255),
    secret_access_key character varying(255),
    files_max_capacity integer DEFAULT 10 NOT NULL,
    repos_max_capacity integer DEFAULT 25 NOT NULL,
    verification_max_capacity integer DEFAULT 100 NOT NULL,
    container_repositories_max_capacity integer DEFAULT 10 NOT NULL,
    minimum_reverification_interval integer DEFAULT 7 NOT NULL,
    sync_object_storage boolean DEFAULT false NOT NULL,
    selective_sync_type character varying(255),
    selective_sync_shards text[] DEFAULT '{}'::text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
  )`);
  pgm.sql('CREATE UNIQUE INDEX index_geo_sites_on_name ON geo_sites USING btree (name)');
  pgm.sql('CREATE UNIQUE INDEX index_geo_sites_on_access_key ON geo_sites USING btree (access_key)');
  // At most one primary site.
  pgm.sql('CREATE UNIQUE INDEX index_geo_sites_on_primary_true ON geo_sites USING btree ("primary") WHERE "primary"');

  pgm.sql(`CREATE TABLE geo_node_namespace_links (
    id bigserial PRIMARY KEY,
    geo_node_id bigint NOT NULL REFERENCES geo_sites(id) ON DELETE CASCADE,
    namespace_id bigint NOT NULL REFERENCES namespaces(id) ON DELETE CASCADE,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
  )`);
  pgm.sql(
    'CREATE UNIQUE INDEX index_geo_node_namespace_links_on_geo_node_id_and_namespace_id ON geo_node_namespace_links USING btree (geo_node_id, namespace_id)',
  );
  pgm.sql('CREATE INDEX index_geo_node_namespace_links_on_namespace_id ON geo_node_namespace_links USING btree (namespace_id)');

  // One row per site (the latest status); counters live in `status`, the scalars GitLab keeps as columns.
  pgm.sql(`CREATE TABLE geo_node_statuses (
    id bigserial PRIMARY KEY,
    geo_node_id bigint NOT NULL REFERENCES geo_sites(id) ON DELETE CASCADE,
    status jsonb DEFAULT '{}'::jsonb NOT NULL,
    db_replication_lag_seconds integer,
    last_event_id bigint,
    last_event_date timestamp with time zone,
    cursor_last_event_id bigint,
    cursor_last_event_date timestamp with time zone,
    last_successful_status_check_at timestamp with time zone,
    status_message character varying(255),
    version character varying(255),
    revision character varying(255),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
  )`);
  pgm.sql('CREATE UNIQUE INDEX index_geo_node_statuses_on_geo_node_id ON geo_node_statuses USING btree (geo_node_id)');
}
