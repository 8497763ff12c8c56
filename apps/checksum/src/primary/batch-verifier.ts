import { errorFields, ErrorCodes, GeoError, isGeoError, mathRandomJitter, type JitterSource, type LoggerPort } from '@geo/domain';
import type { RecordedVerification, VerificationClaim, VerificationResult } from '@geo/pg';
import type { BlobChecksummer, ChecksumOutcome } from '../shared/blob-checksum';
import { verificationResultFor } from './verification-result';

/**
 * Stores a batch's results and, in the same transaction, its `checksum_succeeded` events. Returns the
 * results that were written: a result whose row was re-marked meanwhile is dropped (CAS on the claim).
 */
export interface VerificationResultSink {
  record(results: readonly VerificationResult[]): Promise<RecordedVerification[]>;
}

/** What one batch did. */
export interface BatchReport {
  readonly succeeded: number;
  readonly failed: number;
  /** Results not written because the row was re-marked while its checksum was calculated. */
  readonly superseded: number;
  /** The stored outcome per model id (absent when superseded). */
  readonly recorded: readonly RecordedVerification[];
}

export interface BatchVerifierOptions {
  readonly replicableName: string;
  readonly checksum: BlobChecksummer;
  readonly sink: VerificationResultSink;
  readonly logger: LoggerPort;
  readonly clock?: () => Date;
  readonly random?: JitterSource;
}

/**
 * GitLab's `verify` for a claimed batch: checksum its blobs (one call for the batch; batches run in
 * parallel), turn every outcome into the domain's next row, and record them all in one statement.
 * A checksum error is an outcome (the row fails with backoff), never a thrown error; only a failure
 * to record throws (the rows then stay started until the timeout sweep).
 */
export class BatchVerifier {
  private readonly clock: () => Date;
  private readonly random: JitterSource;

  constructor(private readonly options: BatchVerifierOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? mathRandomJitter;
  }

  async verify(claims: readonly VerificationClaim[]): Promise<BatchReport> {
    if (claims.length === 0) return { succeeded: 0, failed: 0, superseded: 0, recorded: [] };
    const outcomes = await this.checksumAll(claims);
    const results: VerificationResult[] = claims.map((claim, i) => {
      const outcome = outcomes[i];
      if (outcome === undefined || outcomes.length !== claims.length) {
        throw new GeoError(ErrorCodes.INTERNAL, `checksummer returned ${outcomes.length} outcomes for ${claims.length} blobs`);
      }
      if (outcome.kind === 'error') {
        this.options.logger.warn(
          { err: { message: outcome.message, code: outcome.code }, replicable: this.options.replicableName, modelId: claim.state.modelId, blobKey: claim.blob.key },
          'checksum: verification failed',
        );
      }
      return verificationResultFor(claim, outcome, { now: this.clock(), random: this.random });
    });
    const recorded = await this.options.sink.record(results);
    const succeeded = recorded.filter((r) => r.verificationState === 'verification_succeeded').length;
    return { succeeded, failed: recorded.length - succeeded, superseded: results.length - recorded.length, recorded };
  }

  /**
   * GitLab fails the record on any exception during the calculation; so does a checksummer that
   * cannot run at all (threads gone, store unreachable): every blob of the batch fails with its
   * message and retries with backoff, instead of staying started for the 8 h timeout.
   */
  private async checksumAll(claims: readonly VerificationClaim[]): Promise<ChecksumOutcome[]> {
    try {
      return await this.options.checksum.checksumAll(claims.map((claim) => claim.blob.key));
    } catch (error) {
      this.options.logger.error({ ...errorFields(error), replicable: this.options.replicableName, blobs: claims.length }, 'checksum: checksumming a batch failed');
      const message = error instanceof Error ? error.message : String(error);
      return claims.map(() => ({ kind: 'error', message, ...(isGeoError(error) ? { code: error.code } : {}) }));
    }
  }
}
