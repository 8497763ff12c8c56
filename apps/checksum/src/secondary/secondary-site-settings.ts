import { errorFields, type LoggerPort } from '@geo/domain';
import { DEFAULT_VERIFICATION_MAX_CAPACITY, type VerificationCapacitySettings } from '../shared/capacity';
import type { PrimaryCatalogue } from './primary-checksums';

/** GitLab's column defaults, used until the primary has told this site its settings. */
export const DEFAULT_SECONDARY_VERIFICATION_SETTINGS: VerificationCapacitySettings = Object.freeze({
  verificationMaxCapacity: DEFAULT_VERIFICATION_MAX_CAPACITY,
  enabled: true,
});

/**
 * This secondary's verification settings as the primary stores them in `geo_sites`
 * (`verification_max_capacity`, `enabled`), read through the catalogue's `DescribeCatalog` (a
 * secondary has no copy of the primary's database). When the primary cannot be asked, the last
 * known settings stay (the defaults before the first answer): a primary outage must not stop the
 * verification of rows whose checksums are already known, nor keep the app from starting.
 */
export class SecondarySiteSettings {
  private current: VerificationCapacitySettings = DEFAULT_SECONDARY_VERIFICATION_SETTINGS;

  constructor(
    private readonly catalogue: Pick<PrimaryCatalogue, 'describeCatalog'>,
    /** Any replicable type this site replicates: the call's JWT binds a name; the site's settings are per site. */
    private readonly replicableName: string,
    private readonly logger: LoggerPort,
  ) {}

  async read(): Promise<VerificationCapacitySettings> {
    try {
      const { site } = await this.catalogue.describeCatalog(this.replicableName);
      const next = { verificationMaxCapacity: Math.max(0, site.verificationMaxCapacity), enabled: site.enabled };
      if (next.verificationMaxCapacity !== this.current.verificationMaxCapacity || next.enabled !== this.current.enabled) {
        this.logger.info(next, 'checksum: secondary verification settings');
      }
      this.current = next;
    } catch (error) {
      this.logger.warn({ ...errorFields(error), ...this.current }, 'checksum: cannot read this site\'s settings from the primary; keeping the last known ones');
    }
    return this.current;
  }
}
