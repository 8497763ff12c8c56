import { DEFAULT_VERIFICATION_MAX_CAPACITY, type VerificationCapacitySettings } from '../shared/capacity';

/** `geo_sites.minimum_reverification_interval` (days) when the primary has no row; GitLab's minimum is 1. */
export const DEFAULT_MINIMUM_REVERIFICATION_INTERVAL_DAYS = 7;
export const MIN_REVERIFICATION_INTERVAL_DAYS = 1;

/** The primary site's verification knobs, read from its `geo_sites` row (always enabled: it is the primary). */
export interface PrimaryVerificationSettings extends VerificationCapacitySettings {
  readonly minimumReverificationIntervalDays: number;
}

export const DEFAULT_PRIMARY_VERIFICATION_SETTINGS: PrimaryVerificationSettings = Object.freeze({
  verificationMaxCapacity: DEFAULT_VERIFICATION_MAX_CAPACITY,
  enabled: true,
  minimumReverificationIntervalDays: DEFAULT_MINIMUM_REVERIFICATION_INTERVAL_DAYS,
});
