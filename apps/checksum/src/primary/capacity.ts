/** `geo_sites.verification_max_capacity` when the primary has no row (GitLab's column default). */
export const DEFAULT_VERIFICATION_MAX_CAPACITY = 100;
/** `geo_sites.minimum_reverification_interval` (days) when the primary has no row; GitLab's minimum is 1. */
export const DEFAULT_MINIMUM_REVERIFICATION_INTERVAL_DAYS = 7;
export const MIN_REVERIFICATION_INTERVAL_DAYS = 1;

/** The primary site's verification knobs, read from its `geo_sites` row. */
export interface PrimaryVerificationSettings {
  readonly verificationMaxCapacity: number;
  readonly minimumReverificationIntervalDays: number;
}

export const DEFAULT_PRIMARY_VERIFICATION_SETTINGS: PrimaryVerificationSettings = Object.freeze({
  verificationMaxCapacity: DEFAULT_VERIFICATION_MAX_CAPACITY,
  minimumReverificationIntervalDays: DEFAULT_MINIMUM_REVERIFICATION_INTERVAL_DAYS,
});

/**
 * Concurrent verification batches per type (GitLab `verification_max_capacity_per_replicator_class`):
 * `max(1, floor(verification_max_capacity / number of verification-enabled types))`.
 */
export function batchCapacityPerType(verificationMaxCapacity: number, enabledTypes: number): number {
  if (enabledTypes <= 0) return 1;
  return Math.max(1, Math.floor(Math.max(0, verificationMaxCapacity) / enabledTypes));
}

/**
 * Batch jobs worth starting (spec §3.8, GitLab `remaining_work_count`):
 * `ceil(min(needs_verification, maxJobs × batchSize) / batchSize)`.
 */
export function batchJobsFor(needsVerification: number, maxJobs: number, batchSize: number): number {
  if (maxJobs <= 0 || needsVerification <= 0) return 0;
  return Math.ceil(Math.min(needsVerification, maxJobs * batchSize) / batchSize);
}
