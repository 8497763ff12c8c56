export { createPool, type PgPoolOptions } from './pool';
export { withTransaction, type SqlExecutor } from './transaction';
export { mapPgError, mappingPgErrors, sqlState, PgErrorCodes } from './errors';
export { hexToBytea, byteaToHex } from './bytea-hex';
export { replicableDdl, type ReplicableDdl, type TableDdl } from './schema/replicable-ddl';
export {
  replicableRowCounts,
  replicableRowCountsDdl,
  rowCountsDdl,
  rowCountsSpec,
  type RowCountsSpec,
  type ReplicableRowCounts,
  type ReplicableRowCountsDdl,
} from './schema/row-counts-ddl';
export {
  MAX_IDENTIFIER_LENGTH,
  sqlIdentifier,
  railsIndexName,
  gitlabTextLimitCheckName,
  railsForeignKeyName,
} from './schema/naming';
export { type DatabaseRole, DATABASE_ROLES, isDatabaseRole, type MigrationUp, type RoleMigration } from './migrations/role';
export { replicableMigration } from './migrations/replicable-migration';
export {
  migrate,
  assertMigrated,
  migrationFiles,
  migrationName,
  migrationsTable,
  type MigrateOptions,
  type MigrateResult,
} from './migrations/runner';
export {
  PgRegistryRepository,
  type RegistryRepository,
  type SyncFailure,
  type SyncedWrite,
  type ClaimSyncBatchOptions,
} from './repositories/registry-repository';
export { PgReplicableRecordRepository } from './repositories/replicable-record-repository';
export { PgSyncTraceContextRepository, type StoredTraceContext } from './repositories/sync-trace-context-repository';
export { type StoredRegistryRow } from './repositories/registry-row-mapping';
export {
  EventOutboxRepository,
  type NewGeoEvent,
  type InsertEventsOptions,
  type GeoEventRecord,
} from './repositories/event-outbox-repository';
export { GeoEventWriter, type ReplicationFlag } from './repositories/geo-event-writer';
export {
  PgVerificationStateRepository,
  type VerificationStateRepository,
  type StoredVerificationState,
  type VerificationClaim,
  type ClaimedBlob,
  type VerificationResult,
  type RecordedVerification,
  type PrimaryChecksumRow,
  type BackfillStep,
  type ReverifyAllFilter,
} from './repositories/verification-state-repository';
export { MigratedDatabase, type MigratedDatabaseOptions } from './migrated-database';
export { PgReplicableCatalogRepository, DEFAULT_CATALOG_PAGE_SIZE, type ReplicableCatalog, type CatalogSite, type PgReplicableCatalogRepositoryOptions } from './repositories/replicable-catalog-repository';
export { PgEventCursorRepository, type EventCursor, type EventCursorPosition } from './repositories/event-cursor-repository';
export { PgEventLogHeartbeatRepository, type EventLogHeartbeat } from './repositories/event-log-heartbeat-repository';
export { PgRegistryBacklogRepository } from './repositories/registry-backlog-repository';
export { PgGeoNodeStatusRepository } from './repositories/geo-node-status-repository';
export { PgGeoSiteIdentityRepository } from './repositories/geo-site-identity-repository';
export {
  PgRegistrySweepRepository,
  DEFAULT_TIMEOUT_BATCH_SIZE,
  type RegistrySweepRepository,
  type TrackedModel,
  type UntrackResult,
  type ClaimWithinCapacityOptions,
  type CapacityClaim,
  type StartedRow,
  type StartedBeforeOptions,
} from './repositories/registry-sweep-repository';
export {
  PgRegistryAdminRepository,
  REGISTRY_SORTS,
  BULK_UPDATE_BATCH_SIZE,
  MAX_REGISTRY_PAGE_SIZE,
  KEYWORD_SEARCH_LIMIT,
  type RegistryAdminRepository,
  type RegistryFilter,
  type RegistrySort as RegistryListSort,
  type RegistryPageCursor,
  type ListRegistriesQuery,
  type RegistryPage,
  type StartSyncResult,
} from './repositories/registry-admin-repository';
export {
  PgRegistryVerificationRepository,
  type RegistryVerificationRepository,
  type RegistryVerificationClaim,
  type RegistryVerificationResult,
  type RecordedRegistryVerification,
  type RegistryBlob,
} from './repositories/registry-verification-repository';
export { type RegistryStatusCountsReader, type PrimaryStatusCountsReader } from './repositories/status-counts';
export { PgRegistryStatusCounts, PgPrimaryStatusCounts } from './repositories/status-counts-repository';
