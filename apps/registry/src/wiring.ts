import { ConfigError, type LoggerPort } from '@geo/domain';
import { replicationEnabled, type AppConfig } from '@geo/config';
import { DEFAULT_SITE_LOOKUP_TTL_MS as SITE_CACHE_TTL_MS, PrimaryCatalogClient } from '@geo/grpc';
import { NatsLink } from '@geo/nats';
import { MigratedDatabase, PgRegistryAdminRepository, PgRegistrySweepRepository, PgReplicableCatalogRepository } from '@geo/pg';
import { REPLICABLES } from '@geo/replicables';
import type { AppContext, AppParts, Component } from '@geo/service-kit';
import { createBlobStore } from '@geo/storage';
import { registryCatalogService } from './primary/catalog-service';
import {
  ConsistencySweep,
  CoreNatsNudges,
  JetStreamSyncJobPublisher,
  RegistryAdmin,
  secondaryRegistryService,
  SyncScheduler,
  SyncTimeoutSweep,
} from './secondary';

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

  return { components: [database], grpcServices: [registryCatalogService({ catalog, replicables: REPLICABLES, logger, siteCacheTtlMs: SITE_CACHE_TTL_MS })] };
}

/**
 * Secondary: per replicable type the consistency sweep (backfill + orphan and out-of-scope removal),
 * the sync scheduler (claims within `files_max_capacity`, publishes `GEO_SYNC_JOBS`) and the
 * started-timeout sweep, plus `RegistryService` (resync/reverify, list). Start order: database, NATS,
 * the primary catalogue client, then the loops; stop in reverse (the nudge subscription closes
 * before the NATS link).
 */
function buildSecondary(config: AppConfig, logger: LoggerPort): AppParts {
  const { blobStore: storeConfig, primary, nats, registry } = config;
  if (storeConfig === undefined || primary === undefined || nats === undefined || registry === undefined) {
    throw new ConfigError('registry on a secondary needs the blob store, NATS and primary site settings');
  }
  const database = new MigratedDatabase({ databaseUrl: config.database.url, role: 'secondary', logger, applicationName: 'geo-registry', maxConnections: 10 });
  const pool = database.pool;
  const link = new NatsLink({ servers: nats.url, name: `geo-registry@${config.site.name}`, logger });
  const catalogue = new PrimaryCatalogClient({ target: primary.grpcUrls.registry, accessKey: primary.accessKey, secretAccessKey: primary.secretAccessKey });
  const blobs = createBlobStore(storeConfig);
  const jobs = new JetStreamSyncJobPublisher({ link, logger });
  const nudges = new CoreNatsNudges({ connection: () => link.core(), logger });
  const resources: Component = {
    name: 'registry-clients',
    start: async () => undefined,
    async stop() {
      nudges.close();
      catalogue.close();
    },
  };
  // GitLab's `geo_<name>_replication` flag: a type whose flag is off is not swept, scheduled or
  // timed out here (its registries stay as they are: syncing is paused, not undone).
  const enabled = REPLICABLES.filter((replicable) => replicationEnabled(config)(replicable.name));
  if (enabled.length === 0) logger.warn({}, 'registry: replication is off for every type; the sweep and the scheduler are idle');
  const loops: Component[] = enabled.flatMap((replicable) => {
    const sweepRepository = new PgRegistrySweepRepository(pool, replicable);
    return [
      new ConsistencySweep({ replicable, catalogue, registry: sweepRepository, blobs, nudges, logger, intervalMs: registry.sweepIntervalSeconds * 1000 }),
      new SyncScheduler({ replicable, registry: sweepRepository, catalogue, jobs, nudges, logger, typesSharingCapacity: enabled.length }),
      new SyncTimeoutSweep({ replicable, registry: sweepRepository, logger }),
    ];
  });
  const admin = new RegistryAdmin({
    types: REPLICABLES.map((replicable) => ({ replicable, repository: new PgRegistryAdminRepository(pool, replicable) })),
    jobs,
    nudges,
    logger,
  });
  return { components: [database, link, resources, ...loops], grpcServices: [secondaryRegistryService(admin, logger)] };
}
