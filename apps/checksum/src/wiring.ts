import { ConfigError, type JitterSource, type LoggerPort } from '@geo/domain';
import type { AppConfig } from '@geo/config';
import { EventOutboxRepository, GeoEventWriter, MigratedDatabase, PgVerificationStateRepository } from '@geo/pg';
import { REPLICABLES } from '@geo/replicables';
import type { AppContext, AppParts } from '@geo/service-kit';
import { createBlobStore, type BlobStore } from '@geo/storage';
import { primaryChecksumService } from './grpc/checksum-service';
import { PgVerificationResultSink } from './pg/pg-verification-result-sink';
import { readPrimaryVerificationSettings } from './pg/primary-site-settings';
import { BatchVerifier } from './primary/batch-verifier';
import { StreamingBlobChecksummer, type BlobChecksummer } from './primary/blob-checksum';
import { FsThreadChecksummer } from './primary/fs-thread-checksummer';
import { CoalescingResultSink, coalescingClaimer } from './primary/coalescing';
import type { MicroBatcherOptions } from '@geo/domain';
import { PrimaryVerificationApi } from './primary/primary-verification-api';
import { PrimaryVerificationWorker } from './primary/primary-verification-worker';
import { VerificationMaintenance } from './primary/verification-maintenance';

/** Knobs tests and the benchmark turn; the defaults are the production values. */
export interface PrimaryTuning {
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

/** The primary's parts, with the workers exposed for tests and the benchmark. */
export interface PrimaryParts extends AppParts {
  readonly database: MigratedDatabase;
  readonly workers: readonly PrimaryVerificationWorker[];
  readonly api: PrimaryVerificationApi;
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
function chooseChecksummer(config: AppConfig, logger: LoggerPort, tuning: PrimaryTuning): BlobChecksummer {
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
      // The seam for secondary verification (spec §3.6, a later issue): a worker over the registry's
      // synced rows comparing against the primary's GetChecksums. Until then the app only serves
      // health, so a secondary's other services can run beside it.
      logger.warn({}, 'checksum: secondary verification is not implemented yet; serving health only');
      return {};
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
  const replicationEnabled = (name: string): boolean => config.replication[name as keyof AppConfig['replication']]?.enabled ?? false;
  const events = new GeoEventWriter(new EventOutboxRepository(pool), replicationEnabled);
  const clockAndRandom = {
    ...(tuning.clock === undefined ? {} : { clock: tuning.clock }),
    ...(tuning.random === undefined ? {} : { random: tuning.random }),
  };

  const types = REPLICABLES.map((replicable) => {
    const states = new PgVerificationStateRepository(pool, replicable);
    const sink = new CoalescingResultSink(new PgVerificationResultSink({ pool, states, events, logger }), tuning.resultCoalescing);
    const verifier = new BatchVerifier({ replicableName: replicable.name, checksum: checksummer, sink, logger, ...clockAndRandom });
    return { replicable, states, verifier, claimer: coalescingClaimer(states, tuning.claimCoalescing) };
  });

  // GitLab: on the primary, verification is enabled when the type's replication flag is on.
  const enabled = types.filter((t) => replicationEnabled(t.replicable.name));
  const settings = () => readPrimaryVerificationSettings(pool);
  const workers = enabled.map(
    (t) =>
      new PrimaryVerificationWorker({
        replicable: t.replicable,
        states: { claimBatch: t.claimer.claimBatch, needsVerificationCount: (limit) => t.states.needsVerificationCount(limit) },
        verifier: t.verifier,
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
    components: [database, ...threadComponents, ...workers],
    grpcServices: [primaryChecksumService(api, logger)],
  };
}
