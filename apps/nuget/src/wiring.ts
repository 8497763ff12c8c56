import { ConfigError, type LoggerPort } from '@geo/domain';
import { NugetServiceService } from '@geo/proto';
import { EventOutboxRepository, GeoEventWriter, MigratedDatabase } from '@geo/pg';
import { createBlobStore } from '@geo/storage';
import { replicationEnabled, type AppConfig } from '@geo/config';
import type { AppContext, AppParts } from '@geo/service-kit';
import type { Pool } from 'pg';
import { fileStoreFor } from './domain/model';
import { PgNamespaceRepository } from './adapters/pg-namespaces';
import { PgPackageStore } from './adapters/pg-package-store';
import { PgProjectRepository } from './adapters/pg-projects';
import { PgSymbolIndex } from './adapters/pg-symbol-index';
import { createNugetService, type NugetServiceDeps } from './grpc/nuget-service';
import { createSecondaryNugetService } from './grpc/secondary-nuget-service';
import { ReplicaSymbolIndex } from './adapters/replica-symbol-index';
import { packagesNugetSymbol } from '@geo/replicables';

/** Connections for concurrent pushes: each symbol push holds one for its blob writes and inserts. */
const POOL_SIZE = 20;

/** The service's dependencies from config (no I/O happens here; connections open lazily). */
export function nugetServiceDeps(config: AppConfig, pool: Pool, logger: LoggerPort): NugetServiceDeps {
  const { blobStore, nugetLimits } = config;
  if (blobStore === undefined || nugetLimits === undefined) {
    throw new ConfigError('the nuget app needs the blob store and NuGet limit settings (config sections missing)');
  }
  // GitLab `geo_<name>_replication`: events are written only for types whose flag is on (unknown types: off).
  const events = new GeoEventWriter(new EventOutboxRepository(pool), replicationEnabled(config));
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
 * `build` of runApp. Primary: the NuGet service (push, symbol server, delete, namespaces/projects).
 * Secondary: the symbol server over this site's synced copies (`ReplicaSymbolIndex`, ADR 0004);
 * writes are refused, and the gateway proxies lookups this site cannot answer to the primary.
 */
export function build({ config, logger }: AppContext): AppParts {
  if (config.site.role === 'secondary') return buildSecondary(config, logger);
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

function buildSecondary(config: AppConfig, logger: LoggerPort): AppParts {
  if (config.blobStore === undefined) throw new ConfigError('the nuget app needs the blob store settings');
  const database = new MigratedDatabase({
    databaseUrl: config.database.url,
    role: 'secondary',
    logger,
    applicationName: 'geo-nuget',
    maxConnections: 8,
  });
  const service = createSecondaryNugetService({
    index: new ReplicaSymbolIndex(database.pool, packagesNugetSymbol),
    blobs: createBlobStore(config.blobStore),
    logger,
  });
  return { components: [database], grpcServices: [{ definition: NugetServiceService, implementation: service }] };
}
