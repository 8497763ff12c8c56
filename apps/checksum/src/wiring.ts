import { ConfigError, type JitterSource, type LoggerPort, type MicroBatcherOptions } from '@geo/domain';
import { replicationEnabled, type AppConfig } from '@geo/config';
import { metricsService, PrimaryCatalogClient } from '@geo/grpc';
import { EventOutboxRepository, GeoEventWriter, MigratedDatabase, PgRegistryVerificationRepository, PgVerificationStateRepository } from '@geo/pg';
import { REPLICABLES } from '@geo/replicables';
import type { AppContext, AppParts, Component } from '@geo/service-kit';
import { createBlobStore, type BlobStore } from '@geo/storage';
import { Registry } from 'prom-client';
import { primaryChecksumService } from './grpc/checksum-service';
import { PgRegistryResultSink, REGISTRY_CLAIM_KEYS } from './pg/pg-registry-result-sink';
import { PgVerificationResultSink } from './pg/pg-verification-result-sink';
import { readPrimaryVerificationSettings } from './pg/primary-site-settings';
import { BatchVerifier } from './primary/batch-verifier';
import { PrimaryVerificationApi } from './primary/primary-verification-api';
import { PrimaryVerificationWorker } from './primary/primary-verification-worker';
import { VerificationMaintenance } from './primary/verification-maintenance';
import { CataloguePrimaryChecksums, CoalescingPrimaryChecksums, type PrimaryCatalogue } from './secondary/primary-checksums';
import { RegistryBatchVerifier } from './secondary/registry-batch-verifier';
import { SecondarySiteSettings } from './secondary/secondary-site-settings';
import { SecondaryVerificationWorker } from './secondary/secondary-verification-worker';
import { StreamingBlobChecksummer, type BlobChecksummer } from './shared/blob-checksum';
import { CoalescingResultSink, coalescingClaimer, PRIMARY_CLAIM_KEYS } from './shared/coalescing';
import { FsThreadChecksummer } from './shared/fs-thread-checksummer';
import { PromVerificationMetrics, timedVerifier } from './shared/verification-metrics';

/** Knobs tests and the benchmarks turn; the defaults are the production values. */
export interface VerificationTuning {
  /** Pause when nothing needs verification; default 1 s. */
  readonly pollIntervalMs?: number;
  /** Period of the timeout sweep, reverification, backfill and settings refresh; default 1 min. */
  readonly maintenanceIntervalMs?: number;
  readonly backfillBudgetMs?: number;
  /** PostgreSQL pool size; default 10. */
  readonly maxConnections?: number;
  /** Blob store to use instead of the configured one (tests that inject faults); checksummed by streaming. */
  readonly blobStore?: BlobStore;
  /** Checksum threads for an fs store; default 2. 0 streams through `BlobStore.get` instead. */
  readonly checksumThreads?: number;
  /** How concurrent jobs' claims and results are merged into bulk statements (see `coalescing.ts`). */
  readonly claimCoalescing?: MicroBatcherOptions;
  readonly resultCoalescing?: MicroBatcherOptions;
  readonly clock?: () => Date;
  readonly random?: JitterSource;
}

export type PrimaryTuning = VerificationTuning;

/** The secondary's knobs: the shared ones plus the primary catalogue and how lookups are merged. */
export interface SecondaryTuning extends Omit<VerificationTuning, 'backfillBudgetMs'> {
  /** The primary's catalogue to use instead of a `PrimaryCatalogClient` from the config (tests). */
  readonly catalogue?: PrimaryCatalogue;
  /** How concurrent batches' `GetReplicables` calls are merged (see `primary-checksums.ts`). */
  readonly lookupCoalescing?: MicroBatcherOptions;
}

/** The primary's parts, with the workers exposed for tests and the benchmark. */
export interface PrimaryParts extends AppParts {
  readonly database: MigratedDatabase;
  readonly workers: readonly PrimaryVerificationWorker[];
  readonly api: PrimaryVerificationApi;
  /** The verification histogram (ADR 0010), served by `geo.v1.MetricsService`. */
  readonly metrics: Registry;
}

function configuredBlobStore(config: AppConfig): BlobStore {
  const blobStore = config.blobStore;
  if (blobStore === undefined) throw new ConfigError('checksum needs a blob store (BLOB_STORE_*)');
  return createBlobStore(blobStore);
}

/**
 * The fs store is checksummed on worker threads (see FsThreadChecksummer for why); any other store,
 * or one injected by a test, through the generic streaming path.
 */
function chooseChecksummer(config: AppConfig, logger: LoggerPort, tuning: Pick<VerificationTuning, 'blobStore' | 'checksumThreads'>): BlobChecksummer {
  if (tuning.blobStore !== undefined) return new StreamingBlobChecksummer(tuning.blobStore);
  if (config.blobStore?.kind === 'fs' && tuning.checksumThreads !== 0) {
    return new FsThreadChecksummer({ root: config.blobStore.root, logger, ...(tuning.checksumThreads === undefined ? {} : { threads: tuning.checksumThreads }) });
  }
  return new StreamingBlobChecksummer(configuredBlobStore(config));
}

/**
 * The checksum app's parts for this site's role. Loaded by main.ts after tracing started, because it
 * pulls in pg and @grpc/grpc-js.
 */
export async function build({ config, logger }: AppContext): Promise<AppParts> {
  switch (config.site.role) {
    case 'primary':
      return buildPrimary(config, logger);
    case 'secondary':
      return buildSecondary(config, logger);
  }
}

/**
 * Primary: one verification worker per type whose replication flag is on (they share
 * `verification_max_capacity`), and `ChecksumService` for every catalogue type.
 */
export function buildPrimary(config: AppConfig, logger: LoggerPort, tuning: PrimaryTuning = {}): PrimaryParts {
  const checksummer = chooseChecksummer(config, logger, tuning);
  const database = new MigratedDatabase({
    databaseUrl: config.database.url,
    role: 'primary',
    logger,
    applicationName: 'geo-checksum',
    // Batch jobs hold a connection only per statement, so a few serve many jobs.
    maxConnections: tuning.maxConnections ?? 10,
  });
  const pool = database.pool;
  const metrics = new Registry();
  const timing = new PromVerificationMetrics(metrics);
  const isEnabled = replicationEnabled(config);
  const events = new GeoEventWriter(new EventOutboxRepository(pool), isEnabled);
  const clockAndRandom = {
    ...(tuning.clock === undefined ? {} : { clock: tuning.clock }),
    ...(tuning.random === undefined ? {} : { random: tuning.random }),
  };

  const types = REPLICABLES.map((replicable) => {
    const states = new PgVerificationStateRepository(pool, replicable);
    const sink = new CoalescingResultSink(new PgVerificationResultSink({ pool, states, events, logger }), PRIMARY_CLAIM_KEYS, tuning.resultCoalescing);
    const verifier = new BatchVerifier({ replicableName: replicable.name, checksum: checksummer, sink, logger, ...clockAndRandom });
    return { replicable, states, verifier, claimer: coalescingClaimer(states, tuning.claimCoalescing) };
  });

  // GitLab: on the primary, verification is enabled when the type's replication flag is on.
  const enabled = types.filter((t) => isEnabled(t.replicable.name));
  const settings = () => readPrimaryVerificationSettings(pool);
  const workers = enabled.map(
    (t) =>
      new PrimaryVerificationWorker({
        replicable: t.replicable,
        states: { claimBatch: t.claimer.claimBatch, needsVerificationCount: (limit) => t.states.needsVerificationCount(limit) },
        verifier: timedVerifier(t.verifier, t.replicable.name, timing),
        maintenance: new VerificationMaintenance({
          replicable: t.replicable,
          states: t.states,
          ...clockAndRandom,
          ...(tuning.backfillBudgetMs === undefined ? {} : { backfillBudgetMs: tuning.backfillBudgetMs }),
        }),
        settings,
        enabledTypes: enabled.length,
        logger,
        ...(tuning.pollIntervalMs === undefined ? {} : { pollIntervalMs: tuning.pollIntervalMs }),
        ...(tuning.maintenanceIntervalMs === undefined ? {} : { maintenanceIntervalMs: tuning.maintenanceIntervalMs }),
      }),
  );
  if (workers.length === 0) logger.warn({}, 'checksum: replication is off for every type; primary verification is idle');

  const api = new PrimaryVerificationApi(types);
  // Start order: database, checksum threads, workers; stop in reverse, so batches in flight finish
  // before the threads and the pool go away.
  const threadComponents = checksummer instanceof FsThreadChecksummer ? [checksummer] : [];
  return {
    database,
    workers,
    api,
    metrics,
    components: [database, ...threadComponents, ...workers],
    grpcServices: [primaryChecksumService(api, logger), metricsService(() => metrics.getMetricsAsJSON(), logger)],
  };
}

/** The secondary's parts, with the workers exposed for tests and the benchmark. */
export interface SecondaryParts extends AppParts {
  readonly database: MigratedDatabase;
  readonly workers: readonly SecondaryVerificationWorker[];
  /** The verification histogram (ADR 0010), served by `geo.v1.MetricsService`. */
  readonly metrics: Registry;
}

/** The primary registry's catalogue client of a secondary's config (`GEO_PRIMARY_REGISTRY_GRPC_URL` or `GEO_PRIMARY_GRPC_URL`). */
function primaryCatalogClient(config: AppConfig): PrimaryCatalogClient {
  const primary = config.primary;
  if (primary === undefined) {
    throw new ConfigError('checksum on a secondary needs the primary site settings (GEO_PRIMARY_GRPC_URL, GEO_ACCESS_KEY, GEO_SECRET_ACCESS_KEY)');
  }
  // A short deadline: a batch waits for this answer with its rows claimed.
  return new PrimaryCatalogClient({ target: primary.grpcUrls.registry, accessKey: primary.accessKey, secretAccessKey: primary.secretAccessKey, deadlineMs: 10_000 });
}

/** The catalogue the secondary asks; a client built here is owned here (closed on stop), an injected one is the caller's. */
function secondaryCatalogue(config: AppConfig, tuning: SecondaryTuning): { catalogue: PrimaryCatalogue; client?: PrimaryCatalogClient } {
  if (tuning.catalogue !== undefined) return { catalogue: tuning.catalogue };
  const client = primaryCatalogClient(config);
  return { catalogue: client, client };
}

/**
 * Secondary: one verification worker per type whose replication flag is on (GitLab: verification is
 * enabled on a secondary when the type replicates), sharing this site's `verification_max_capacity`
 * as the primary stores it. Each compares the local copies of synced registries with the primary's
 * checksums from its catalogue (`GetReplicables`). No gRPC service beyond health: operators
 * re-queue verification through the registry app (REVERIFY). Start order: database, checksum
 * threads, the catalogue client, workers; stop in reverse.
 */
export function buildSecondary(config: AppConfig, logger: LoggerPort, tuning: SecondaryTuning = {}): SecondaryParts {
  const { catalogue, client } = secondaryCatalogue(config, tuning);
  const checksummer = chooseChecksummer(config, logger, tuning);
  const database = new MigratedDatabase({
    databaseUrl: config.database.url,
    role: 'secondary',
    logger,
    applicationName: 'geo-checksum',
    maxConnections: tuning.maxConnections ?? 10,
  });
  const pool = database.pool;
  const clockAndRandom = {
    ...(tuning.clock === undefined ? {} : { clock: tuning.clock }),
    ...(tuning.random === undefined ? {} : { random: tuning.random }),
  };
  const enabled = REPLICABLES.filter((replicable) => replicationEnabled(config)(replicable.name));
  const metrics = new Registry();
  const timing = new PromVerificationMetrics(metrics);
  if (enabled.length === 0) logger.warn({}, 'checksum: replication is off for every type; secondary verification is idle');
  // One reader of the site's settings for all types (they are per site; any type name binds the call).
  const siteSettings = new SecondarySiteSettings(catalogue, enabled[0]?.name ?? REPLICABLES[0].name, logger);

  const workers = enabled.map((replicable) => {
    const registry = new PgRegistryVerificationRepository(pool, replicable);
    const verifier = new RegistryBatchVerifier({
      replicableName: replicable.name,
      primary: new CoalescingPrimaryChecksums(new CataloguePrimaryChecksums(catalogue, replicable.name), replicable.verification.batchSize, tuning.lookupCoalescing),
      checksum: checksummer,
      sink: new CoalescingResultSink(new PgRegistryResultSink(registry, logger), REGISTRY_CLAIM_KEYS, tuning.resultCoalescing),
      claims: registry,
      logger,
      ...clockAndRandom,
    });
    const claimer = coalescingClaimer(registry, tuning.claimCoalescing);
    return new SecondaryVerificationWorker({
      replicable,
      registry: { claimBatch: claimer.claimBatch, needsVerificationCount: (limit) => registry.needsVerificationCount(limit) },
      timeouts: registry,
      verifier: timedVerifier(verifier, replicable.name, timing),
      settings: () => siteSettings.read(),
      enabledTypes: enabled.length,
      logger,
      ...clockAndRandom,
      ...(tuning.pollIntervalMs === undefined ? {} : { pollIntervalMs: tuning.pollIntervalMs }),
      ...(tuning.maintenanceIntervalMs === undefined ? {} : { maintenanceIntervalMs: tuning.maintenanceIntervalMs }),
    });
  });

  const threadComponents = checksummer instanceof FsThreadChecksummer ? [checksummer] : [];
  const clientComponents: Component[] =
    client === undefined ? [] : [{ name: 'primary-catalogue-client', start: async () => undefined, stop: async () => client.close() }];
  return {
    database,
    workers,
    metrics,
    components: [database, ...threadComponents, ...clientComponents, ...workers],
    grpcServices: [metricsService(() => metrics.getMetricsAsJSON(), logger)],
  };
}
