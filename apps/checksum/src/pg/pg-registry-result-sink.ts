import type { LoggerPort } from '@geo/domain';
import type { RecordedRegistryVerification, RegistryVerificationRepository, RegistryVerificationResult } from '@geo/pg';
import type { ClaimKeys, ResultSink } from '../shared/coalescing';
import { claimKey } from '../shared/coalescing';
import { withRecordRetries } from '../shared/record-retry';

/** Claim keys of registry results, for `CoalescingResultSink`. */
export const REGISTRY_CLAIM_KEYS: ClaimKeys<RegistryVerificationResult, RecordedRegistryVerification> = {
  ofResult: (result) => claimKey(result.claim.row.id, result.claim.row.verificationStartedAt),
  ofWritten: (written) => claimKey(written.registryId, written.verificationStartedAt),
};

/**
 * Records a batch's registry results in one statement (`recordResults`, compare-and-set on each
 * claim and on `state = synced`). A secondary writes no events. Retrying is safe for the same
 * reason: a repeat after a lost acknowledgement matches no claim any more and writes nothing.
 */
export class PgRegistryResultSink implements ResultSink<RegistryVerificationResult, RecordedRegistryVerification> {
  constructor(
    private readonly registry: Pick<RegistryVerificationRepository, 'recordResults'>,
    private readonly logger: LoggerPort,
  ) {}

  record(results: readonly RegistryVerificationResult[]): Promise<RecordedRegistryVerification[]> {
    return withRecordRetries(() => this.registry.recordResults(results), this.logger);
  }
}
