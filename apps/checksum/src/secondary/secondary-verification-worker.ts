import { mathRandomJitter, verificationTimeoutValues, type JitterSource, type LoggerPort, type ReplicableDefinition } from '@geo/domain';
import type { RegistryVerificationClaim, RegistryVerificationRepository } from '@geo/pg';
import { BatchVerificationWorker, type MaintenanceStep } from '../shared/batch-verification-worker';
import type { VerificationCapacitySettings } from '../shared/capacity';
import type { RegistryBatchVerifier } from './registry-batch-verifier';
import { DEFAULT_SECONDARY_VERIFICATION_SETTINGS } from './secondary-site-settings';

export interface SecondaryVerificationWorkerOptions {
  readonly replicable: ReplicableDefinition;
  /** The claim side of the registry (the wiring merges concurrent claims, see `coalescing.ts`). */
  readonly registry: Pick<RegistryVerificationRepository, 'claimBatch' | 'needsVerificationCount'>;
  /** The timeout sweep's statement. */
  readonly timeouts: Pick<RegistryVerificationRepository, 'failTimedOut'>;
  readonly verifier: Pick<RegistryBatchVerifier, 'verify'>;
  /** This site's settings (`SecondarySiteSettings.read`); called at start and every maintenance run. */
  readonly settings: () => Promise<VerificationCapacitySettings>;
  /** Types with verification enabled on this site: they share `verification_max_capacity`. */
  readonly enabledTypes: number;
  readonly logger: LoggerPort;
  readonly pollIntervalMs?: number;
  readonly maintenanceIntervalMs?: number;
  readonly clock?: () => Date;
  readonly random?: JitterSource;
}

/**
 * The 8 h verification timeout on the registry (GitLab `VerificationTimeoutWorker`, newer bulk
 * form): rows `verification_started` longer than the type's timeout become failed with
 * "Verification timed out after 28800", retry count 1 and `next_retry_time(1)`. Bulk, so no resync.
 */
function timeoutSweep(options: SecondaryVerificationWorkerOptions): MaintenanceStep<VerificationCapacitySettings> {
  const clock = options.clock ?? (() => new Date());
  const random = options.random ?? mathRandomJitter;
  const timeoutSeconds = options.replicable.verification.timeoutSeconds;
  return {
    name: 'timeout sweep',
    async run() {
      const now = clock();
      const values = verificationTimeoutValues(timeoutSeconds, { now, random });
      const timedOut = await options.timeouts.failTimedOut(new Date(now.getTime() - timeoutSeconds * 1000), values);
      if (timedOut > 0) options.logger.warn({ replicable: options.replicable.name, timedOut, timeoutSeconds }, 'checksum: verifications timed out');
    },
  };
}

/**
 * Secondary verification of one replicable type (spec §3.6, DESIGN §4 flow 6): the shared batch
 * worker over the type's registry (synced rows only), comparing local checksums with the primary's,
 * plus the per-minute timeout sweep. Secondaries do not reverify on a schedule: rows come back to
 * pending through REVERIFY or the primary's `checksum_succeeded` events.
 */
export class SecondaryVerificationWorker extends BatchVerificationWorker<RegistryVerificationClaim, VerificationCapacitySettings> {
  constructor(options: SecondaryVerificationWorkerOptions) {
    super({
      face: 'secondary',
      replicable: options.replicable,
      queue: options.registry,
      verifier: options.verifier,
      maintenance: [timeoutSweep(options)],
      settings: options.settings,
      initialSettings: DEFAULT_SECONDARY_VERIFICATION_SETTINGS,
      enabledTypes: options.enabledTypes,
      logger: options.logger,
      ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
      ...(options.maintenanceIntervalMs === undefined ? {} : { maintenanceIntervalMs: options.maintenanceIntervalMs }),
    });
  }
}
