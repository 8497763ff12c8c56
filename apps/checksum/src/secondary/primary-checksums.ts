import { MicroBatcher, ValidationError, type MicroBatcherOptions, type ReplicableRecord } from '@geo/domain';
import type { PrimaryCatalogClient } from '@geo/grpc';

/** What the secondary's verification reads from the primary's catalogue (`PrimaryCatalogClient` satisfies it). */
export type PrimaryCatalogue = Pick<PrimaryCatalogClient, 'getReplicables' | 'describeCatalog'>;

/**
 * The primary's current verification facts of records, by model id (GitLab reads
 * `model_record.verification_succeeded?` and its checksum from the replicated main database; ours
 * asks the primary's catalogue, `GetReplicables`). Ids the primary does not answer (deleted, or out
 * of this site's scope) are absent from the map.
 */
export interface PrimaryChecksumLookup {
  lookUp(modelIds: readonly number[]): Promise<ReadonlyMap<number, ReplicableRecord>>;
}

/** One `GetReplicables` call per lookup. */
export class CataloguePrimaryChecksums implements PrimaryChecksumLookup {
  constructor(
    private readonly catalogue: Pick<PrimaryCatalogue, 'getReplicables'>,
    private readonly replicableName: string,
  ) {}

  async lookUp(modelIds: readonly number[]): Promise<ReadonlyMap<number, ReplicableRecord>> {
    if (modelIds.length === 0) return new Map();
    const records = await this.catalogue.getReplicables(this.replicableName, modelIds);
    // Only what was asked for counts: an answer about other records must not decide these rows.
    const asked = new Set(modelIds);
    return new Map(records.filter((r) => asked.has(r.modelRecordId)).map((r) => [r.modelRecordId, r]));
  }
}

/**
 * Most ids one `GetReplicables` may carry (the primary's `MAX_GET_REPLICABLES_IDS`). A merged lookup
 * stays under it: `maxInputs` batches of at most the verification batch size each.
 */
export const MAX_IDS_PER_LOOKUP = 1000;

/** Default merging: up to 50 batches (500 ids) per call, two calls at once. */
export const DEFAULT_LOOKUP_COALESCING: MicroBatcherOptions = { maxInputs: 50, maxInFlight: 2 };

/**
 * Lookups of concurrently verified batches merged into one `GetReplicables` call: a call costs the
 * primary a JWT check, a site lookup and a query whatever its size, so 50 batches asking together
 * cost about what one does. Every batch still gets its answer from exactly one call (a failed call
 * fails every batch in it), and each sees only its own ids.
 */
export class CoalescingPrimaryChecksums implements PrimaryChecksumLookup {
  private readonly batcher: MicroBatcher<readonly number[], ReadonlyMap<number, ReplicableRecord>>;

  constructor(inner: PrimaryChecksumLookup, batchSize: number, options: MicroBatcherOptions = DEFAULT_LOOKUP_COALESCING) {
    if (options.maxInputs * batchSize > MAX_IDS_PER_LOOKUP) {
      throw new ValidationError(`a merged lookup of ${options.maxInputs} batches of ${batchSize} exceeds ${MAX_IDS_PER_LOOKUP} ids`);
    }
    this.batcher = new MicroBatcher<readonly number[], ReadonlyMap<number, ReplicableRecord>>(async (batches) => {
      const all = await inner.lookUp([...new Set(batches.flat())]);
      return batches.map((ids) => new Map(ids.flatMap((id) => {
        const record = all.get(id);
        return record === undefined ? [] : [[id, record] as const];
      })));
    }, options);
  }

  lookUp(modelIds: readonly number[]): Promise<ReadonlyMap<number, ReplicableRecord>> {
    if (modelIds.length === 0) return Promise.resolve(new Map());
    return this.batcher.submit(modelIds);
  }
}
