/** `geo_sites.verification_max_capacity` when the site's row is not known (GitLab's column default). */
export const DEFAULT_VERIFICATION_MAX_CAPACITY = 100;

/** The site settings every verification worker schedules by (primary and secondary faces). */
export interface VerificationCapacitySettings {
  /** The site's `geo_sites.verification_max_capacity`, shared by its verification-enabled types. */
  readonly verificationMaxCapacity: number;
  /** False when the site is disabled: no batch starts (GitLab runs no Geo jobs for a disabled site). */
  readonly enabled: boolean;
}

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
