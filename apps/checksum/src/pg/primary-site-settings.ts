import { mappingPgErrors, type SqlExecutor } from '@geo/pg';
import {
  DEFAULT_PRIMARY_VERIFICATION_SETTINGS,
  MIN_REVERIFICATION_INTERVAL_DAYS,
  type PrimaryVerificationSettings,
} from '../primary/primary-verification-settings';

/**
 * Reads the primary site's verification settings from `geo_sites` (GitLab `Gitlab::Geo.current_node`
 * on the primary). A site without a primary row yet runs on GitLab's column defaults (100, 7 days).
 * The reverification interval is clamped to GitLab's validated minimum of 1 day.
 */
export async function readPrimaryVerificationSettings(db: SqlExecutor): Promise<PrimaryVerificationSettings> {
  return mappingPgErrors('read primary geo_sites settings', async () => {
    const result = await db.query<{ verification_max_capacity: number; minimum_reverification_interval: number }>(
      'SELECT verification_max_capacity, minimum_reverification_interval FROM geo_sites WHERE "primary" LIMIT 1',
    );
    const row = result.rows[0];
    if (row === undefined) return DEFAULT_PRIMARY_VERIFICATION_SETTINGS;
    return {
      verificationMaxCapacity: Math.max(0, row.verification_max_capacity),
      enabled: true,
      minimumReverificationIntervalDays: Math.max(MIN_REVERIFICATION_INTERVAL_DAYS, row.minimum_reverification_interval),
    };
  });
}
