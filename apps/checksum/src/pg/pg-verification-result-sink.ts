import type { Pool } from 'pg';
import { errorFields, isGeoError, type LoggerPort } from '@geo/domain';
import { withTransaction, type GeoEventWriter, type RecordedVerification, type VerificationResult, type VerificationStateRepository } from '@geo/pg';
import type { VerificationResultSink } from '../primary/batch-verifier';

/** Pauses between attempts when recording hits a retryable failure (a deadlock, a lost connection). */
const RETRY_DELAYS_MS = [50, 200, 1000] as const;

export interface PgVerificationResultSinkOptions {
  readonly pool: Pool;
  readonly states: Pick<VerificationStateRepository, 'recordResults' | 'replicable'>;
  readonly events: GeoEventWriter;
  readonly logger: LoggerPort;
}

/**
 * Records a batch's results and its `checksum_succeeded` events (spec §4.3 payload
 * `{ model_record_id }`) in one transaction, so an event exists exactly when its success committed.
 * The writer adds events only while an enabled secondary exists and the type's flag is on.
 *
 * Retrying is safe: the results are compare-and-set on the claim, so a repeat after a commit whose
 * acknowledgement was lost writes nothing again (and no second event).
 */
export class PgVerificationResultSink implements VerificationResultSink {
  constructor(private readonly options: PgVerificationResultSinkOptions) {}

  async record(results: readonly VerificationResult[]): Promise<RecordedVerification[]> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.recordOnce(results);
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (!isGeoError(error) || !error.retryable || delay === undefined) throw error;
        this.options.logger.warn({ ...errorFields(error), attempt: attempt + 1, delayMs: delay }, 'checksum: recording results failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private recordOnce(results: readonly VerificationResult[]): Promise<RecordedVerification[]> {
    const { pool, states, events } = this.options;
    const replicableName = states.replicable.name;
    return withTransaction(pool, async (tx) => {
      const recorded = await states.recordResults(results, tx);
      const succeeded = recorded.filter((r) => r.verificationState === 'verification_succeeded');
      await events.write(
        tx,
        succeeded.map((r) => ({ replicableName, eventName: 'checksum_succeeded', payload: { model_record_id: r.modelId } })),
      );
      return recorded;
    });
  }
}
