import type { RecordedVerification, VerificationClaim, VerificationResult, VerificationStateRepository } from '@geo/pg';
import type { VerificationResultSink } from './batch-verifier';
import { MicroBatcher, type MicroBatcherOptions } from '@geo/domain';

/**
 * Default merging: up to 20 jobs' claims per statement and 50 batches' results per transaction, two
 * bulk calls of each kind at once (tools/bench/verify.ts: per-row cost then dominates, not round trips).
 */
export const DEFAULT_CLAIM_COALESCING: MicroBatcherOptions = { maxInputs: 20, maxInFlight: 2 };
export const DEFAULT_RESULT_COALESCING: MicroBatcherOptions = { maxInputs: 50, maxInFlight: 2 };

type Claimer = Pick<VerificationStateRepository, 'claimBatch'>;

/**
 * `claimBatch` calls of concurrent jobs merged into one claim statement: PostgreSQL's cost is mostly
 * per statement and per commit, not per row, so 10 jobs claiming together cost about what one does.
 * Each job still gets its own batch of at most its limit, in the claim's order (pending first, then
 * due failed rows), so the rows in flight never exceed capacity × batch size, as without merging.
 */
export function coalescingClaimer(states: Claimer, options: MicroBatcherOptions = DEFAULT_CLAIM_COALESCING): Claimer {
  const batcher = new MicroBatcher<number, VerificationClaim[]>(async (limits) => {
    const claims = await states.claimBatch(limits.reduce((sum, limit) => sum + limit, 0));
    let offset = 0;
    return limits.map((limit) => {
      const batch = claims.slice(offset, offset + limit);
      offset += batch.length;
      return batch;
    });
  }, options);
  return { claimBatch: (limit) => batcher.submit(limit) };
}

/**
 * Results of concurrently finishing batches written in one transaction (one UPDATE, one event
 * insert). Each batch gets back exactly its own recorded rows; a failed write fails every batch in it
 * (their rows stay started until the timeout sweep, as a failed single write would leave them).
 */
export class CoalescingResultSink implements VerificationResultSink {
  private readonly batcher: MicroBatcher<readonly VerificationResult[], RecordedVerification[]>;

  constructor(inner: VerificationResultSink, options: MicroBatcherOptions = DEFAULT_RESULT_COALESCING) {
    this.batcher = new MicroBatcher(async (batches) => {
      const recorded = await inner.record(batches.flat());
      // Keyed by row and claim token: two claims of one row (a batch and a "verify now") may meet in
      // one bulk call, and only the current claim's result was written.
      const key = (stateId: number, startedAt: Date | null) => `${stateId}@${startedAt?.getTime()}`;
      const byClaim = new Map(recorded.map((r) => [key(r.stateId, r.verificationStartedAt), r]));
      return batches.map((batch) => batch.flatMap((result) => byClaim.get(key(result.claim.state.id, result.claim.state.verificationStartedAt)) ?? []));
    }, options);
  }

  record(results: readonly VerificationResult[]): Promise<RecordedVerification[]> {
    return this.batcher.submit(results);
  }
}
