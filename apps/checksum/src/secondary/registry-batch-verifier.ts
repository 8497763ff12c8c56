import { errorFields, ErrorCodes, GeoError, mathRandomJitter, type JitterSource, type LoggerPort } from '@geo/domain';
import type { RecordedRegistryVerification, RegistryVerificationClaim, RegistryVerificationRepository, RegistryVerificationResult } from '@geo/pg';
import type { BatchTally } from '../shared/batch-verification-worker';
import type { BlobChecksummer, ChecksumOutcome } from '../shared/blob-checksum';
import type { ResultSink } from '../shared/coalescing';
import type { PrimaryChecksumLookup } from './primary-checksums';
import { comparablePrimaryChecksum, NO_LOCAL_RECORD_MESSAGE, registryVerificationResultFor } from './registry-verification-result';

/** What one batch did on this secondary. */
export interface RegistryBatchReport extends BatchTally {
  readonly disabled: number;
  /** Failures that were checksum mismatches (`checksum_mismatch = true`), part of `failed`. */
  readonly mismatched: number;
  /** The written outcome per registry (absent when superseded). */
  readonly recorded: readonly RecordedRegistryVerification[];
}

export interface RegistryBatchVerifierOptions {
  readonly replicableName: string;
  readonly primary: PrimaryChecksumLookup;
  readonly checksum: BlobChecksummer;
  /** Writes the results (compare-and-set on each claim); see `PgRegistryResultSink`. */
  readonly sink: ResultSink<RegistryVerificationResult, RecordedRegistryVerification>;
  /** Gives claims back when the batch cannot be verified at all. */
  readonly claims: Pick<RegistryVerificationRepository, 'release'>;
  readonly logger: LoggerPort;
  readonly clock?: () => Date;
  readonly random?: JitterSource;
}

/**
 * GitLab's `verify` for a batch of claimed synced registries on a secondary (spec §3.6):
 * 1. the primary's verification state and checksum of the whole batch, in one catalogue call;
 * 2. the local blobs of the rows the primary has a succeeded checksum for, in one checksummer call;
 * 3. every row's next state from the domain (disabled / succeeded / mismatch / error, see
 *    `registryVerificationResultFor`), written in one statement.
 *
 * A blob that cannot be read is a per-row outcome (verification failure, hence a resync), as in
 * GitLab. When the batch cannot be verified at all (the primary cannot be asked, the checksummer is
 * down) its claims are released unchanged and the error is thrown: the worker backs off and the rows
 * are claimed again later. Failing them instead would resync every blob of the site whenever the
 * primary is briefly unreachable.
 */
export class RegistryBatchVerifier {
  private readonly clock: () => Date;
  private readonly random: JitterSource;

  constructor(private readonly options: RegistryBatchVerifierOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.random = options.random ?? mathRandomJitter;
  }

  async verify(claims: readonly RegistryVerificationClaim[]): Promise<RegistryBatchReport> {
    if (claims.length === 0) return { succeeded: 0, failed: 0, superseded: 0, disabled: 0, mismatched: 0, recorded: [] };
    const primary = await this.orRelease(claims, 'cannot read the primary checksums', () => this.options.primary.lookUp(claims.map((c) => c.row.modelId)));
    const primaryChecksums = claims.map((c) => comparablePrimaryChecksum(primary.get(c.row.modelId)));
    const outcomes = await this.orRelease(claims, 'cannot checksum the local blobs', () => this.checksumComparable(claims, primaryChecksums));

    const ctx = { now: this.clock(), random: this.random };
    const results = claims.map((claim, i) => {
      const result = registryVerificationResultFor(claim, primaryChecksums[i] ?? null, outcomes[i], ctx);
      this.logProblem(result, primaryChecksums[i] ?? null, outcomes[i]);
      return result;
    });
    const recorded = await this.options.sink.record(results);
    const count = (state: string) => recorded.filter((r) => r.verificationState === state).length;
    // A failure after a computed checksum is a mismatch; after an error outcome it is not.
    const mismatchIds = new Set(
      results.filter((r, i) => r.next.verificationState === 'verification_failed' && outcomes[i]?.kind === 'checksum').map((r) => r.claim.row.id),
    );
    return {
      succeeded: count('verification_succeeded'),
      failed: count('verification_failed'),
      disabled: count('verification_disabled'),
      mismatched: recorded.filter((r) => mismatchIds.has(r.registryId)).length,
      superseded: results.length - recorded.length,
      recorded,
    };
  }

  /**
   * Outcomes in claim order: a checksum outcome for every row the primary has a checksum for
   * (an error outcome when this site has no record of the blob), undefined for the others.
   */
  private async checksumComparable(claims: readonly RegistryVerificationClaim[], primaryChecksums: readonly (string | null)[]): Promise<(ChecksumOutcome | undefined)[]> {
    const outcomes: (ChecksumOutcome | undefined)[] = claims.map((claim, i) =>
      primaryChecksums[i] !== null && claim.blob === null ? { kind: 'error', message: NO_LOCAL_RECORD_MESSAGE } : undefined,
    );
    const wanted = claims.flatMap((claim, i) => (primaryChecksums[i] !== null && claim.blob !== null ? [{ i, key: claim.blob.key }] : []));
    if (wanted.length === 0) return outcomes;
    const computed = await this.options.checksum.checksumAll(wanted.map((w) => w.key));
    if (computed.length !== wanted.length) throw new GeoError(ErrorCodes.INTERNAL, `checksummer returned ${computed.length} outcomes for ${wanted.length} blobs`);
    wanted.forEach(({ i }, n) => (outcomes[i] = computed[n]));
    return outcomes;
  }

  /** Runs `step`; if it throws, releases the batch's claims and rethrows. */
  private async orRelease<T>(claims: readonly RegistryVerificationClaim[], what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      const fields = { ...errorFields(error), replicable: this.options.replicableName, rows: claims.length };
      try {
        const released = await this.options.claims.release(claims);
        this.options.logger.warn({ ...fields, released }, `checksum: ${what}; the batch's claims were released`);
      } catch (releaseError) {
        // The rows stay started; the timeout sweep fails them after 8 h. Both errors are logged.
        this.options.logger.error({ ...fields, release: errorFields(releaseError) }, `checksum: ${what}, and releasing the batch's claims failed`);
      }
      throw error;
    }
  }

  private logProblem(result: RegistryVerificationResult, primaryChecksum: string | null, outcome: ChecksumOutcome | undefined): void {
    const { next, claim } = result;
    if (next.verificationState !== 'verification_failed') return;
    const fields = { replicable: this.options.replicableName, modelId: claim.row.modelId, registryId: claim.row.id, blobKey: claim.blob?.key };
    if (outcome?.kind === 'checksum') {
      this.options.logger.warn({ ...fields, checksum: outcome.checksum, primaryChecksum }, 'checksum: checksum does not match the primary checksum; resyncing');
    } else if (outcome?.kind === 'error') {
      this.options.logger.warn({ ...fields, err: { message: outcome.message, code: outcome.code } }, 'checksum: verification failed; resyncing');
    }
  }
}
