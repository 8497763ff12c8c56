export {
  ErrorCodes,
  type ErrorCode,
  GeoError,
  isGeoError,
  ValidationError,
  InvalidTransitionError,
  NotFoundError,
  UnauthenticatedError,
  UnavailableError,
  ConfigError,
  type GeoErrorOptions,
  HTTP_STATUS_BY_ERROR_CODE,
  httpStatusFor,
  errorFields,
} from './errors';
export {
  BLOB_EVENTS,
  type BlobEventName,
  DEFAULT_SYNC_TIMEOUT_SECONDS,
  DEFAULT_VERIFICATION_TIMEOUT_SECONDS,
  DEFAULT_VERIFICATION_BATCH_SIZE,
  DEFAULT_REVERIFICATION_BATCH_SIZE,
  DEFAULT_VERIFICATION_STATE_BACKFILL_BATCH_SIZE,
  type BlobStrategy,
  type ReplicableSource,
  type ReplicableInput,
  type ReplicableDefinition,
  defineReplicable,
} from './replication/define-replicable';
export type { FileStore, ReplicableRecord, ReplicationScope, SiteSettings } from './replication/replicable-record';
export { type TransitionContext, type TransitionRule, type SmallintEnum, smallintEnum } from './state-machine';
export { type LoggerPort, silentLogger } from './logging';
export { FAILURE_TEXT_MAX_LENGTH, TRUNCATE_OMISSION, truncate, failureText } from './text/truncate';
export {
  type JitterSource,
  mathRandomJitter,
  JITTER_RANGE,
  DEFAULT_MAX_RETRY_WAIT_SECONDS,
  MISSING_ON_PRIMARY_MAX_RETRY_WAIT_SECONDS,
  delaySeconds,
  type NextRetryTimeOptions,
  nextRetryTime,
} from './registry/backoff';
export {
  SyncStates,
  type SyncState,
  SYNC_STATE_NAMES,
  encodeSyncState,
  decodeSyncState,
  SYNC_EVENTS,
  type SyncEvent,
  SYNC_TRANSITIONS,
  canApplySyncEvent,
  type SyncEventInput,
  enterSyncFailed,
  applySyncEvent,
  type SyncTimeoutValues,
  syncTimeoutValues,
  isSyncTimedOut,
} from './registry/sync-state';
export {
  type RegistrySyncFields,
  type RegistryMismatchFields,
  type RegistryRow,
  applyRegistryVerificationTransition,
} from './registry/registry-row';
export {
  VerificationStates,
  type VerificationState,
  VERIFICATION_STATE_NAMES,
  encodeVerificationState,
  decodeVerificationState,
  VERIFICATION_EVENTS,
  type VerificationEvent,
  VERIFICATION_TRANSITIONS,
  canApplyVerificationEvent,
  type VerificationFields,
  type VerificationEventInput,
  applyVerificationEvent,
  VERIFICATION_ERROR_MESSAGE,
  verificationErrorEvent,
  verificationFailedWithMessage,
  updatedDuringChecksum,
  type VerificationTimeoutValues,
  verificationTimeoutValues,
  isVerificationTimedOut,
} from './verification/verification-state';
export {
  VERIFICATION_FAILED_SYNC_PREFIX,
  CHECKSUM_MISMATCH_MESSAGE,
  applyRegistryVerificationEvent,
  checksumMismatchFailure,
  type ChecksumComparison,
  applyRegistryChecksumResult,
  beginRegistryVerification,
} from './verification/registry-verification';
export {
  STATUS_COUNT_SUFFIXES,
  STATUS_PERCENTAGE_SUFFIXES,
  type StatusCountKey,
  type StatusPercentageKey,
  type StatusFieldNames,
  statusFieldsFor,
  prometheusGaugeName,
  type RegistryCountGroup,
  type SecondaryCounts,
  secondaryCountsFromGroups,
  type StateCountGroup,
  type PrimaryCounts,
  primaryCountsFromGroups,
  percentage,
  syncedInPercentage,
  verifiedInPercentage,
  formatPercentage,
} from './status/status-fields';
export { abortableSleep } from './abortable-sleep';
export { DEFAULT_RETRY_DELAY, retryDelayMs, type RetryDelayPolicy } from './retry-delay';
export { MicroBatcher, type MicroBatcherOptions } from './micro-batcher';
