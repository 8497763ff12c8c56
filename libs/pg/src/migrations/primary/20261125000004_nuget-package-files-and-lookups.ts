import type { MigrationBuilder } from 'node-pg-migrate';
import { gitlabTextLimitCheckName } from '../../schema/naming';

/**
 * What the `nuget` service needs beyond the base model tables: the `.nupkg` blob rows
 * (`packages_package_files`), the uniqueness rules that make duplicate pushes fail in SQL even when
 * two requests race past the application's checks, and the index the symbol server looks up by.
 */
export function up(pgm: MigrationBuilder): void {
  // GitLab `packages_package_files`, reduced to what a NuGet package file needs. `file_sha256` is
  // packed like every GitLab `sha_attribute` (32 bytes); `file_store` 1 = local, 2 = object storage;
  // `object_storage_key` is the blob's full key in our flat blob store (ADR 0002).
  pgm.sql(`CREATE TABLE packages_package_files (
    id bigserial PRIMARY KEY,
    package_id bigint NOT NULL REFERENCES packages_packages(id) ON DELETE CASCADE,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    size bigint NOT NULL,
    file_store smallint DEFAULT 1 NOT NULL,
    file_name text NOT NULL,
    file_sha256 bytea,
    object_storage_key text NOT NULL,
    CONSTRAINT ${gitlabTextLimitCheckName('packages_package_files', 'file_name')} CHECK ((char_length(file_name) <= 255))
  )`);
  pgm.sql('CREATE INDEX index_packages_package_files_on_package_id ON packages_package_files USING btree (package_id)');
  pgm.sql(
    'CREATE UNIQUE INDEX index_packages_package_files_on_object_storage_key ON packages_package_files USING btree (object_storage_key)',
  );

  // NuGet ids and versions are case-insensitive: `TestData 1.2.3` and `testdata 1.2.3` are one package.
  // The push checks first for a friendly 409; this index makes a concurrent duplicate fail too.
  pgm.sql(
    'CREATE UNIQUE INDEX index_packages_packages_on_project_id_lower_name_version_type ON packages_packages ' +
      'USING btree (project_id, lower((name)::text), lower((version)::text), package_type)',
  );

  // GitLab (UpdateUniqueIndexOnPackagesNugetSymbol, 17.7): a signature + path is unique among symbols of
  // packages that still exist; orphans (package_id NULL, awaiting cleanup) do not block a re-push.
  // The partial unique index replaces the plain one, as in GitLab.
  pgm.sql(
    'CREATE UNIQUE INDEX idx_pkgs_nuget_symbols_on_signature_and_file_path_with_pkg_id ON packages_nuget_symbols ' +
      'USING btree (signature, file_path) WHERE (package_id IS NOT NULL)',
  );
  pgm.sql('DROP INDEX index_packages_nuget_symbols_on_signature_and_file_path');

  // The symbol server's lookup (instance-wide, case-insensitive, spec nuget-symbols §6.4):
  // `lower(signature) = lower($1) AND lower(file) = lower($2) AND file_sha256 = ANY($3)`.
  pgm.sql(
    'CREATE INDEX idx_pkgs_nuget_symbols_on_lower_signature_and_lower_file ON packages_nuget_symbols ' +
      'USING btree (lower(signature), lower(file))',
  );

  // GitLab paths are unique case-insensitively among siblings, top-level groups included (the base
  // (parent_id, path) index is case-sensitive and treats every NULL parent as distinct).
  pgm.sql(
    'CREATE UNIQUE INDEX index_namespaces_on_parent_id_and_lower_path ON namespaces USING btree (parent_id, lower((path)::text)) ' +
      'WHERE (parent_id IS NOT NULL)',
  );
  pgm.sql(
    'CREATE UNIQUE INDEX index_namespaces_on_lower_path_top_level ON namespaces USING btree (lower((path)::text)) WHERE (parent_id IS NULL)',
  );
  pgm.sql(
    'CREATE UNIQUE INDEX index_projects_on_namespace_id_and_lower_path ON projects USING btree (namespace_id, lower((path)::text))',
  );
}
