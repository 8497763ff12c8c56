import type { LoggerPort, ReplicableDefinition } from '@geo/domain';
import type { VerificationClaim, VerificationStateRepository } from '@geo/pg';
import { BatchVerificationWorker, type MaintenanceStep } from '../shared/batch-verification-worker';
import type { BatchVerifier } from './batch-verifier';
import { DEFAULT_PRIMARY_VERIFICATION_SETTINGS, type PrimaryVerificationSettings } from './primary-verification-settings';
import type { VerificationMaintenance } from './verification-maintenance';

export { DEFAULT_MAINTENANCE_INTERVAL_MS, DEFAULT_POLL_INTERVAL_MS, type VerificationCounters } from '../shared/batch-verification-worker';

export interface PrimaryVerificationWorkerOptions {
  readonly replicable: ReplicableDefinition;
  readonly states: Pick<VerificationStateRepository, 'claimBatch' | 'needsVerificationCount'>;
  readonly verifier: Pick<BatchVerifier, 'verify'>;
  readonly maintenance: Pick<VerificationMaintenance, 'sweepTimeouts' | 'reverifyStale' | 'backfill'>;
  /** Reads the primary's `geo_sites` settings; called at start and before every maintenance run. */
  readonly settings: () => Promise<PrimaryVerificationSettings>;
  /** Types with verification enabled on this site: they share `verification_max_capacity`. */
  readonly enabledTypes: number;
  readonly logger: LoggerPort;
  /** Pause when no row needs verification; default 1 s. */
  readonly pollIntervalMs?: number;
  /** Period of settings refresh, timeout sweep, reverification and backfill; default 1 min. */
  readonly maintenanceIntervalMs?: number;
}

/** GitLab's per-minute cron on the primary: VerificationTimeoutWorker, ReverificationBatchWorker, VerificationStateBackfillWorker. */
function primaryMaintenance(options: PrimaryVerificationWorkerOptions): MaintenanceStep<PrimaryVerificationSettings>[] {
  const { logger, maintenance } = options;
  const replicable = options.replicable.name;
  return [
    {
      name: 'timeout sweep',
      async run() {
        const timedOut = await maintenance.sweepTimeouts();
        if (timedOut > 0) logger.warn({ replicable, timedOut }, 'checksum: verifications timed out');
      },
    },
    {
      name: 'reverification',
      async run(settings) {
        const reverified = await maintenance.reverifyStale(settings.minimumReverificationIntervalDays);
        if (reverified > 0) logger.info({ replicable, reverified }, 'checksum: stale checksums marked for reverification');
      },
    },
    {
      name: 'state backfill',
      async run() {
        const report = await maintenance.backfill();
        if (report.inserted > 0 || report.deleted > 0) logger.info({ replicable, ...report }, 'checksum: verification states backfilled');
      },
    },
  ];
}

/**
 * Primary verification of one replicable type (spec §3.5, DESIGN §4 flow 6): the shared batch
 * worker over the type's `*_states` table, with the primary's cron work (timeouts, reverification of
 * checksums older than `minimum_reverification_interval`, state-row backfill). Results are recorded
 * with their `checksum_succeeded` events (see `BatchVerifier` and the wiring's sink).
 */
export class PrimaryVerificationWorker extends BatchVerificationWorker<VerificationClaim, PrimaryVerificationSettings> {
  constructor(options: PrimaryVerificationWorkerOptions) {
    super({
      face: 'primary',
      replicable: options.replicable,
      queue: options.states,
      verifier: options.verifier,
      maintenance: primaryMaintenance(options),
      settings: options.settings,
      initialSettings: DEFAULT_PRIMARY_VERIFICATION_SETTINGS,
      enabledTypes: options.enabledTypes,
      logger: options.logger,
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.maintenanceIntervalMs === undefined ? {} : { maintenanceIntervalMs: options.maintenanceIntervalMs }),
    });
  }
}
