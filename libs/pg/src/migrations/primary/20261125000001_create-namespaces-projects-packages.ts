import type { MigrationBuilder } from 'node-pg-migrate';
import { gitlabTextLimitCheckName } from '../../schema/naming';

const check255 = (table: string, column: string) =>
  `CONSTRAINT ${gitlabTextLimitCheckName(table, column)} CHECK ((char_length(${column}) <= 255))`;

/**
 * The replicated application's tables (owned by the `nuget` service): the subset of GitLab's
 * namespaces/projects/packages needed to push symbols, scope selective sync and key blobs.
 */
export function up(pgm: MigrationBuilder): void {
  // `type` is GitLab's STI column: 'User', 'Group' or 'Project'. `parent_id` builds the group tree
  // that selective sync walks with a recursive CTE.
  pgm.sql(`CREATE TABLE namespaces (
    id bigserial PRIMARY KEY,
    name character varying(255) NOT NULL,
    path character varying(255) NOT NULL,
    parent_id bigint REFERENCES namespaces(id) ON DELETE CASCADE,
    type character varying(255) DEFAULT 'Group' NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
  )`);
  pgm.sql('CREATE INDEX index_namespaces_on_parent_id ON namespaces USING btree (parent_id)');
  pgm.sql('CREATE UNIQUE INDEX index_namespaces_on_parent_id_and_path ON namespaces USING btree (parent_id, path)');

  // `repository_storage` is the shard name used by selective sync by shards. `nuget_api_key_digest`
  // is the SHA-256 hex of the project's NuGet push key (never the key itself).
  pgm.sql(`CREATE TABLE projects (
    id bigserial PRIMARY KEY,
    name character varying(255) NOT NULL,
    path character varying(255) NOT NULL,
    namespace_id bigint NOT NULL REFERENCES namespaces(id) ON DELETE CASCADE,
    repository_storage character varying(255) DEFAULT 'default' NOT NULL,
    nuget_api_key_digest text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    ${check255('projects', 'nuget_api_key_digest')}
  )`);
  pgm.sql('CREATE UNIQUE INDEX index_projects_on_namespace_id_and_path ON projects USING btree (namespace_id, path)');
  pgm.sql('CREATE INDEX index_projects_on_repository_storage ON projects USING btree (repository_storage)');

  // GitLab enums: package_type nuget = 4; status default = 0, hidden = 1, processing = 2, error = 3,
  // pending_destruction = 4.
  pgm.sql(`CREATE TABLE packages_packages (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    name character varying(255) NOT NULL,
    version character varying(255),
    package_type smallint NOT NULL,
    status smallint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
  )`);
  pgm.sql(
    'CREATE INDEX index_packages_packages_on_project_id_name_version_package_type ON packages_packages USING btree (project_id, name, version, package_type)',
  );

  // spec §10.1. `package_id` is nullified when the package goes (orphans are destroyed later, with
  // their `deleted` events); the state row cascades from this table (generated migration).
  pgm.sql(`CREATE TABLE packages_nuget_symbols (
    id bigserial PRIMARY KEY,
    created_at timestamp with time zone NOT NULL,
    updated_at timestamp with time zone NOT NULL,
    package_id bigint REFERENCES packages_packages(id) ON DELETE SET NULL,
    size integer NOT NULL,
    file_store smallint DEFAULT 1,
    file text NOT NULL,
    file_path text NOT NULL,
    signature text NOT NULL,
    object_storage_key text NOT NULL,
    file_sha256 bytea,
    status smallint DEFAULT 0 NOT NULL,
    project_id bigint REFERENCES projects(id) ON DELETE CASCADE,
    ${check255('packages_nuget_symbols', 'file')},
    ${check255('packages_nuget_symbols', 'file_path')},
    ${check255('packages_nuget_symbols', 'signature')},
    ${check255('packages_nuget_symbols', 'object_storage_key')}
  )`);
  pgm.sql(
    'CREATE UNIQUE INDEX index_packages_nuget_symbols_on_object_storage_key ON packages_nuget_symbols USING btree (object_storage_key)',
  );
  pgm.sql('CREATE INDEX index_packages_nuget_symbols_on_package_id ON packages_nuget_symbols USING btree (package_id)');
  pgm.sql('CREATE INDEX index_packages_nuget_symbols_on_project_id ON packages_nuget_symbols USING btree (project_id)');
  pgm.sql(
    'CREATE INDEX index_packages_nuget_symbols_on_signature_and_file_path ON packages_nuget_symbols USING btree (signature, file_path)',
  );
}
