/**
 * A replicable type is one declarative definition (GitLab: one tiny Replicator class per type).
 * Every table name, event subject, status field, metric name and config key is derived from
 * `name` here, so adding a type never touches the services, the proto files or the status code.
 */

/** Event vocabulary of the blob strategy (GitLab `Geo::ReplicatorEvents` + VerifiableReplicator). */
export const BLOB_EVENTS = ['created', 'deleted', 'checksum_succeeded'] as const;
export type BlobEventName = (typeof BLOB_EVENTS)[number];

/** 8 hours: GitLab `Geo::BlobDownloadService::LEASE_TIMEOUT` and `VERIFICATION_TIMEOUT`. */
export const DEFAULT_SYNC_TIMEOUT_SECONDS = 8 * 60 * 60;
export const DEFAULT_VERIFICATION_TIMEOUT_SECONDS = 8 * 60 * 60;
/** GitLab `DEFAULT_VERIFICATION_BATCH_SIZE`. */
export const DEFAULT_VERIFICATION_BATCH_SIZE = 10;
/** GitLab `DEFAULT_REVERIFICATION_BATCH_SIZE`. */
export const DEFAULT_REVERIFICATION_BATCH_SIZE = 1000;
/** GitLab `DEFAULT_VERIFICATION_STATE_BACKFILL_BATCH_SIZE`. */
export const DEFAULT_VERIFICATION_STATE_BACKFILL_BATCH_SIZE = 1000;

export interface BlobStrategy {
  readonly kind: 'blob';
  /** Immutable blobs are never updated in place; replacing a file means a new record. */
  readonly immutable: boolean;
}

/** Where the replicated model lives in the primary database. Data, interpreted by adapters. */
export interface ReplicableSource {
  /** Model table, e.g. `packages_nuget_symbols`. */
  readonly table: string;
  /** Column holding the blob's relative key in the blob store. */
  readonly blobKeyColumn: string;
  /** Column holding the storage location (1 = local, 2 = remote), for `sync_object_storage`. */
  readonly fileStoreColumn: string;
  /** Column holding the owning project id, for selective sync by namespace. */
  readonly projectIdColumn: string;
  /** Column holding the size in bytes. */
  readonly sizeColumn: string;
  /**
   * Further model columns a secondary keeps per record (sent as text; bytea as lowercase hex), so
   * it can serve the record by the application's own lookup without asking the primary.
   */
  readonly attributeColumns: readonly string[];
}

export interface ReplicableInput<Name extends string> {
  /** Snake-case slug (GitLab `replicable_name`), e.g. `packages_nuget_symbol`. */
  readonly name: Name;
  /** Human titles, e.g. `{ one: 'NuGet Symbol', many: 'NuGet Symbols' }`. */
  readonly title: { readonly one: string; readonly many: string };
  /** GitLab class names, kept for wire compatibility (event payloads, GraphQL global ids). */
  readonly gitlab: { readonly modelClass: string; readonly uploaderClass: string };
  readonly strategy: BlobStrategy;
  readonly source: ReplicableSource;
  /** Plural slug; defaults to `name + 's'` (GitLab `replicable_name_plural`). */
  readonly pluralName?: string;
}

export interface ReplicableDefinition<Name extends string = string> extends ReplicableInput<Name> {
  readonly pluralName: string;
  /** Secondary tracking table, e.g. `packages_nuget_symbol_registry`. */
  readonly registryTable: string;
  /** Primary verification state table, e.g. `packages_nuget_symbol_states`. */
  readonly stateTable: string;
  /** Foreign key column in registry and state tables, e.g. `packages_nuget_symbol_id`. */
  readonly modelForeignKey: string;
  /** Ops flag, e.g. `geo_packages_nuget_symbol_replication` (default on). */
  readonly replicationFlag: string;
  /** Flag that enables primary checksumming without replication. */
  readonly forcePrimaryChecksummingFlag: string;
  /** GraphQL type name of the registry, e.g. `PackagesNugetSymbolRegistry`. */
  readonly graphqlRegistryType: string;
  /** GraphQL `GeoRegistryClass` enum value, e.g. `PACKAGES_NUGET_SYMBOL_REGISTRY`. */
  readonly graphqlRegistryClass: string;
  /** GitLab registry class name, used in global ids: `Geo::PackagesNugetSymbolRegistry`. */
  readonly registryClassName: string;
  readonly events: readonly BlobEventName[];
  readonly syncTimeoutSeconds: number;
  readonly verification: {
    readonly batchSize: number;
    readonly reverificationBatchSize: number;
    readonly backfillBatchSize: number;
    readonly timeoutSeconds: number;
  };
}

const SLUG = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

function pascal(slug: string): string {
  return slug
    .split('_')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}

export function defineReplicable<const Name extends string>(
  input: ReplicableInput<Name>,
): ReplicableDefinition<Name> {
  if (!SLUG.test(input.name)) {
    throw new Error(`replicable name must be a snake_case slug, got ${JSON.stringify(input.name)}`);
  }
  const pluralName = input.pluralName ?? `${input.name}s`;
  const registryClassName = `Geo::${pascal(input.name)}Registry`;
  return Object.freeze({
    ...input,
    pluralName,
    registryTable: `${input.name}_registry`,
    stateTable: `${input.name}_states`,
    modelForeignKey: `${input.name}_id`,
    replicationFlag: `geo_${input.name}_replication`,
    forcePrimaryChecksummingFlag: `geo_${input.name}_force_primary_checksumming`,
    graphqlRegistryType: `${pascal(input.name)}Registry`,
    graphqlRegistryClass: `${input.name.toUpperCase()}_REGISTRY`,
    registryClassName,
    events: BLOB_EVENTS,
    syncTimeoutSeconds: DEFAULT_SYNC_TIMEOUT_SECONDS,
    verification: Object.freeze({
      batchSize: DEFAULT_VERIFICATION_BATCH_SIZE,
      reverificationBatchSize: DEFAULT_REVERIFICATION_BATCH_SIZE,
      backfillBatchSize: DEFAULT_VERIFICATION_STATE_BACKFILL_BATCH_SIZE,
      timeoutSeconds: DEFAULT_VERIFICATION_TIMEOUT_SECONDS,
    }),
  });
}
