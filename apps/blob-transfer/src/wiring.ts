import { ConfigError, errorFields, type LoggerPort } from '@geo/domain';
import type { AppConfig } from '@geo/config';
import { MigratedDatabase, PgRegistryRepository, PgReplicableCatalogRepository, PgReplicableRecordRepository } from '@geo/pg';
import { DEFAULT_SITE_LOOKUP_TTL_MS as SITE_CACHE_TTL_MS, metricsService } from '@geo/grpc';
import { GEO_SYNC_NUDGE_SUBJECT, NatsLink } from '@geo/nats';
import { REPLICABLES } from '@geo/replicables';
import type { AppContext, AppParts, Component } from '@geo/service-kit';
import { createBlobStore } from '@geo/storage';
import { Registry } from 'prom-client';
import { BlobRetrieval } from './primary/blob-retrieval';
import { RetrieveHttpServer } from './primary/retrieve-http-server';
import { blobRetrieveService } from './primary/retrieve-service';
import { ByteBudget } from './secondary/byte-budget';
import { HttpBlobRetriever } from './secondary/http-blob-retriever';
import { BlobDownloadService } from './secondary/download-blob';
import { groupCommitRecords, groupCommitRegistry } from './secondary/group-commit';
import { PromSyncMetrics } from './secondary/sync-metrics';
import { SyncWorker } from './secondary/sync-worker';

/**
 * blob-transfer's parts for this site's role. Primary: Retrieve, streaming blobs to authenticated
 * secondaries over HTTP (the data plane, ADR 0005) and gRPC. Secondary: the download workers of the
 * site's `GEO_SYNC_JOBS` queue.
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
  if (config.blobStore === undefined || config.retrieveHttp === undefined) throw new ConfigError('blob-transfer needs the blob store and retrieve HTTP settings');
  const database = new MigratedDatabase({ databaseUrl: config.database.url, role: 'primary', logger, applicationName: 'geo-blob-transfer', maxConnections: 10 });
  const catalog = new PgReplicableCatalogRepository(database.pool);

  const blobStore = createBlobStore(config.blobStore);
  const retrieval = new BlobRetrieval({ catalog, replicables: REPLICABLES, blobStore, logger, siteCacheTtlMs: SITE_CACHE_TTL_MS });
  const http = new RetrieveHttpServer({ retrieval, logger, ...config.retrieveHttp });
  // Nothing observed here (downloads are the secondaries'); served anyway so every site's gateway scrapes alike.
  const metrics = new Registry();
  return { components: [database, http], grpcServices: [blobRetrieveService({ retrieval, logger }), metricsService(() => metrics.getMetricsAsJSON(), logger)] };
}

/** Bytes of blobs one worker downloads at once: memory stays flat however many large blobs are queued. */
const DOWNLOAD_BYTE_BUDGET = 64 * 1024 * 1024;

/**
 * Secondary: the sync worker pulls jobs from this site's `GEO_SYNC_JOBS`, streams each blob from the
 * primary's retrieve HTTP endpoint and records the result in the tracking database (ADR 0004 §4–5). Components
 * start database → NATS → worker and stop in reverse, so in-flight downloads settle first.
 */
function buildSecondary(config: AppConfig, logger: LoggerPort): AppParts {
  const { blobStore: storeConfig, primary, nats } = config;
  if (storeConfig === undefined || primary?.blobTransferHttpUrl === undefined || nats === undefined) {
    throw new ConfigError('blob-transfer on a secondary needs the blob store, NATS and primary site settings (GEO_PRIMARY_BLOB_TRANSFER_HTTP_URL)');
  }
  const database = new MigratedDatabase({ databaseUrl: config.database.url, role: 'secondary', logger, applicationName: 'geo-blob-transfer', maxConnections: 10 });
  const link = new NatsLink({ servers: nats.url, name: `geo-blob-transfer@${config.site.name}`, logger });
  const blobStore = createBlobStore(storeConfig);
  // The sync histograms (ADR 0010), scraped by the site's gateway through `geo.v1.MetricsService`.
  const metrics = new Registry();
  const concurrency = config.syncWorker?.concurrency;
  const retriever = new HttpBlobRetriever({
    baseUrl: primary.blobTransferHttpUrl,
    accessKey: primary.accessKey,
    secretAccessKey: primary.secretAccessKey,
    ...(concurrency === undefined ? {} : { maxSockets: concurrency }),
  });
  const downloader = new BlobDownloadService({
    registries: REPLICABLES.map((def) => groupCommitRegistry(new PgRegistryRepository(database.pool, def))),
    records: groupCommitRecords(new PgReplicableRecordRepository(database.pool)),
    retriever,
    blobStore,
    logger,
    byteBudget: new ByteBudget(DOWNLOAD_BYTE_BUDGET),
    metrics: new PromSyncMetrics(metrics),
  });
  // Every finished job frees capacity: wake the scheduler at once instead of at its next poll.
  const nudge = (): void => {
    try {
      link.core()?.publish(GEO_SYNC_NUDGE_SUBJECT);
    } catch (error) {
      logger.warn(errorFields(error), 'blob-transfer: scheduler nudge not sent (it polls anyway)');
    }
  };
  const worker = new SyncWorker({ nats: link, downloader, blobStore, logger, onSettled: nudge, concurrency });
  const client: Component = { name: 'primary-retrieve-client', start: async () => undefined, stop: async () => retriever.close() };
  return { components: [database, client, link, worker], grpcServices: [metricsService(() => metrics.getMetricsAsJSON(), logger)] };
}
