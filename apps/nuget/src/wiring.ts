import { ConfigError, type LoggerPort } from '@geo/domain';
import { NugetServiceService } from '@geo/proto';
import { EventOutboxRepository, GeoEventWriter, MigratedDatabase } from '@geo/pg';
import { createBlobStore } from '@geo/storage';
import type { AppConfig } from '@geo/config';
import type { AppContext, AppParts } from '@geo/service-kit';
import type { Pool } from 'pg';
import { fileStoreFor } from './domain/model';
import { PgNamespaceRepository } from './adapters/pg-namespaces';
import { PgPackageStore } from './adapters/pg-package-store';
import { PgProjectRepository } from './adapters/pg-projects';
import { PgSymbolIndex } from './adapters/pg-symbol-index';
import { createNugetService, type NugetServiceDeps } from './grpc/nuget-service';

/** Connections for concurrent pushes: each symbol push holds one for its blob writes and inserts. */
const POOL_SIZE = 20;

/** The service's dependencies from config (no I/O happens here; connections open lazily). */
export function nugetServiceDeps(config: AppConfig, pool: Pool, logger: LoggerPort): NugetServiceDeps {
  const { blobStore, nugetLimits } = config;
  if (blobStore === undefined || nugetLimits === undefined) {
    throw new ConfigError('the nuget app needs the blob store and NuGet limit settings (config sections missing)');
  }
  // GitLab `geo_<name>_replication`: events are written only for types whose flag is on (unknown types: off).
  const flags: Readonly<Record<string, { readonly enabled: boolean } | undefined>> = config.replication;
  const events = new GeoEventWriter(new EventOutboxRepository(pool), (name) => flags[name]?.enabled === true);
  return {
    store: new PgPackageStore(pool, events),
    index: new PgSymbolIndex(pool),
    namespaces: new PgNamespaceRepository(pool),
    projects: new PgProjectRepository(pool),
    blobs: createBlobStore(blobStore),
    limits: nugetLimits,
    fileStore: fileStoreFor(blobStore.kind),
    logger,
  };
}

/**
 * `build` of runApp: the primary's NuGet service (push, symbol server, delete, namespaces/projects).
 * On a secondary the app serves only gRPC health for now: serving symbols from the local replica
 * (or proxying to the primary) belongs to the secondary-site issue, and a secondary's database has
 * none of the primary's tables, so nothing here may touch it.
 */
export function build({ config, logger }: AppContext): AppParts {
  if (config.site.role !== 'primary') {
    logger.info({ role: config.site.role }, 'nuget on a secondary site: no NuGet service yet (health only)');
    return {};
  }
  const database = new MigratedDatabase({
    databaseUrl: config.database.url,
    role: 'primary',
    logger,
    applicationName: 'geo-nuget',
    maxConnections: POOL_SIZE,
  });
  const service = createNugetService(nugetServiceDeps(config, database.pool, logger));
  return {
    components: [database],
    grpcServices: [{ definition: NugetServiceService, implementation: service }],
  };
}
