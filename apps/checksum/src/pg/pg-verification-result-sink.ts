import type { Pool } from 'pg';
import type { LoggerPort } from '@geo/domain';
import { withTransaction, type GeoEventWriter, type RecordedVerification, type VerificationResult, type VerificationStateRepository } from '@geo/pg';
import type { VerificationResultSink } from '../primary/batch-verifier';
import { withRecordRetries } from '../shared/record-retry';

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

  record(results: readonly VerificationResult[]): Promise<RecordedVerification[]> {
    return withRecordRetries(() => this.recordOnce(results), this.options.logger);
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
