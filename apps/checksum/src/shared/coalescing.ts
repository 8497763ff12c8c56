import type { RecordedVerification, VerificationResult } from '@geo/pg';
import { MicroBatcher, type MicroBatcherOptions } from '@geo/domain';

/**
 * Default merging: up to 20 jobs' claims per statement and 50 batches' results per transaction, two
 * bulk calls of each kind at once (tools/bench/verify.ts: per-row cost then dominates, not round trips).
 */
export const DEFAULT_CLAIM_COALESCING: MicroBatcherOptions = { maxInputs: 20, maxInFlight: 2 };
export const DEFAULT_RESULT_COALESCING: MicroBatcherOptions = { maxInputs: 50, maxInFlight: 2 };

/** Whatever claims batches of rows: a primary state table or a secondary registry. */
export interface BatchClaimer<C> {
  claimBatch(limit: number): Promise<C[]>;
}

/**
 * `claimBatch` calls of concurrent jobs merged into one claim statement: PostgreSQL's cost is mostly
 * per statement and per commit, not per row, so 10 jobs claiming together cost about what one does.
 * Each job still gets its own batch of at most its limit, in the claim's order (pending first, then
 * due failed rows), so the rows in flight never exceed capacity × batch size, as without merging.
 */
export function coalescingClaimer<C>(claimer: BatchClaimer<C>, options: MicroBatcherOptions = DEFAULT_CLAIM_COALESCING): BatchClaimer<C> {
  const batcher = new MicroBatcher<number, C[]>(async (limits) => {
    const claims = await claimer.claimBatch(limits.reduce((sum, limit) => sum + limit, 0));
    let offset = 0;
    return limits.map((limit) => {
      const batch = claims.slice(offset, offset + limit);
      offset += batch.length;
      return batch;
    });
  }, options);
  return { claimBatch: (limit) => batcher.submit(limit) };
}

/** Stores a batch's results; returns those written (a result whose claim is no longer current is dropped). */
export interface ResultSink<R, W> {
  record(results: readonly R[]): Promise<W[]>;
}

/**
 * How a result and a written row name the claim they belong to: the row and the claim's token
 * (`verification_started_at`), so two claims of one row meeting in one bulk call are told apart.
 */
export interface ClaimKeys<R, W> {
  readonly ofResult: (result: R) => string;
  readonly ofWritten: (written: W) => string;
}

/** `rowId@token`, the key both faces use. */
export function claimKey(rowId: number, token: Date | null): string {
  return `${rowId}@${token?.getTime()}`;
}

/** Claim keys of the primary's state-table results. */
export const PRIMARY_CLAIM_KEYS: ClaimKeys<VerificationResult, RecordedVerification> = {
  ofResult: (result) => claimKey(result.claim.state.id, result.claim.state.verificationStartedAt),
  ofWritten: (written) => claimKey(written.stateId, written.verificationStartedAt),
};

/**
 * Results of concurrently finishing batches written in one transaction (one UPDATE, plus the
 * primary's event insert). Each batch gets back exactly its own written rows; a failed write fails
 * every batch in it (their rows stay started until the timeout sweep, as a failed single write
 * would leave them).
 */
export class CoalescingResultSink<R, W> implements ResultSink<R, W> {
  private readonly batcher: MicroBatcher<readonly R[], W[]>;

  constructor(inner: ResultSink<R, W>, keys: ClaimKeys<R, W>, options: MicroBatcherOptions = DEFAULT_RESULT_COALESCING) {
    this.batcher = new MicroBatcher<readonly R[], W[]>(async (batches) => {
      const written = await inner.record(batches.flat());
      const byClaim = new Map(written.map((w) => [keys.ofWritten(w), w]));
      return batches.map((batch) => batch.flatMap((result): W[] => {
        const own = byClaim.get(keys.ofResult(result));
        return own === undefined ? [] : [own];
      }));
    }, options);
  }

  record(results: readonly R[]): Promise<W[]> {
    return this.batcher.submit(results);
  }
}
