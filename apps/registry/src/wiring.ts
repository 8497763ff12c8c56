import { ConfigError, type LoggerPort } from '@geo/domain';
import type { AppConfig } from '@geo/config';
import { MigratedDatabase, PgReplicableCatalogRepository } from '@geo/pg';
import { REPLICABLES } from '@geo/replicables';
import type { AppContext, AppParts } from '@geo/service-kit';
import { registryCatalogService } from './primary/catalog-service';

/**
 * The registry's parts for this site's role. Primary: the catalogue secondaries read
 * (`RegistryCatalogService`). Secondary: the tracking database's sweep, scheduler, timeout sweep and
 * `RegistryService` (see buildSecondary).
 */
export async function build({ config, logger }: AppContext): Promise<AppParts> {
  switch (config.site.role) {
    case 'primary':
      return buildPrimary(config, logger);
    case 'secondary':
      return buildSecondary(config, logger);
  }
}

function buildPrimary(config: AppConfig, logger: LoggerPort): AppParts {
  const database = new MigratedDatabase({ databaseUrl: config.database.url, role: 'primary', logger, applicationName: 'geo-registry', maxConnections: 10 });
  const catalog = new PgReplicableCatalogRepository(database.pool);
  return { components: [database], grpcServices: [registryCatalogService({ catalog, replicables: REPLICABLES, logger })] };
}

function buildSecondary(_config: AppConfig, _logger: LoggerPort): AppParts {
  throw new ConfigError('registry on a secondary: not wired yet');
}
