import { Histogram, type Registry } from 'prom-client';

/** Seconds: 5 ms (ten small blobs from the page cache) … 5 min (ten large blobs from a cold disk or S3). */
export const VERIFICATION_BATCH_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** Where a verified batch's duration goes (ADR 0010). */
export interface VerificationObserver {
  batchVerified(replicableName: string, seconds: number): void;
}

/**
 * `geo_verification_batch_duration_seconds{replicable}` in `registry` (the app's, served by
 * `geo.v1.MetricsService`): one observation per verified batch (up to the type's batch size, 10),
 * from the claimed rows handed to the verifier to their results recorded. A batch, not a blob, is the
 * unit the worker verifies and records in one go (the checksums of a batch run in one thread call).
 */
export class PromVerificationMetrics implements VerificationObserver {
  private readonly duration: Histogram<'replicable'>;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'geo_verification_batch_duration_seconds',
      help: 'Time to verify one claimed batch (checksum its blobs, compare, record the results), in seconds',
      labelNames: ['replicable'],
      buckets: VERIFICATION_BATCH_DURATION_BUCKETS,
      registers: [registry],
    });
  }

  batchVerified(replicableName: string, seconds: number): void {
    this.duration.observe({ replicable: replicableName }, seconds);
  }
}

/**
 * `verifier` timed: each batch it resolves is observed once. A batch that throws (it could not be
 * verified or recorded) is not: the worker logs it and backs off, and its rows are verified again.
 */
export function timedVerifier<C, R>(verifier: { verify(claims: readonly C[]): Promise<R> }, replicableName: string, observer: VerificationObserver): { verify(claims: readonly C[]): Promise<R> } {
  return {
    async verify(claims) {
      const startedAt = performance.now();
      const report = await verifier.verify(claims);
      observer.batchVerified(replicableName, (performance.now() - startedAt) / 1000);
      return report;
    },
  };
}
