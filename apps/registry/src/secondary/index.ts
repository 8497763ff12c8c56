// The secondary registry app's use cases (spec §2, §6, §7, §9.3; ADR 0004), for the wiring.
export type { SecondaryCatalogue } from './catalogue-port';
export {
  ConsistencySweep,
  DEFAULT_SWEEP_INTERVAL_MS,
  DEFAULT_SWEEP_RANGE_SIZE,
  DEFAULT_SWEEP_RETRY_DELAY,
  type ConsistencySweepOptions,
  type SweepPassReport,
  type SweepStepReport,
} from './consistency-sweep';
export {
  SyncScheduler,
  capacityShare,
  DEFAULT_FILES_MAX_CAPACITY,
  DEFAULT_SCHEDULER_MAX_BATCH,
  DEFAULT_SCHEDULER_POLL_INTERVAL_MS,
  DEFAULT_SETTINGS_REFRESH_MS,
  DEFAULT_STALLED_AFTER_MS,
  type ScheduleReport,
  type SyncSchedulerOptions,
} from './sync-scheduler';
export { SyncTimeoutSweep, DEFAULT_SYNC_TIMEOUT_SWEEP_INTERVAL_MS, type SyncTimeoutSweepOptions } from './sync-timeout-sweep';
export { JetStreamSyncJobPublisher, type JetStreamSyncJobPublisherOptions, type SyncJobPublisher } from './sync-job-publisher';
export { CoreNatsNudges, type CoreNatsConnection, type CoreNatsNudgesOptions, type NudgeListener, type NudgePublisher } from './nudges';
export { RegistryAdmin, type RegistryAdminOptions, type RegistryAdminType, type ListRegistriesInput } from './registry-admin';
export { secondaryRegistryService, toProtoRegistry, DEFAULT_REGISTRY_PAGE_SIZE } from './registry-service';
export { toProtoSyncState, fromProtoSyncState } from './sync-state-codec';
export { encodePageToken, decodePageToken } from './page-token';
