import { siteIdentityOf, type SiteIdentity } from '@geo/domain';
import type { CatalogDescription } from '@geo/grpc';
import type { SiteIdentitySource } from '../compute/ports';

/**
 * A secondary's identity as the primary stores it: `DescribeCatalog` (ADR 0004 §2) answers with the
 * caller's own `geo_sites` settings (id, name, selective sync). Any catalogue type serves; the first
 * one is asked.
 */
export function catalogueIdentity(
  catalogue: { describeCatalog(replicableName: string): Promise<CatalogDescription> },
  replicableName: string,
): SiteIdentitySource {
  return {
    async identity(): Promise<SiteIdentity> {
      const { site } = await catalogue.describeCatalog(replicableName);
      return siteIdentityOf(site);
    },
  };
}
