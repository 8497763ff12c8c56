import { MicroBatcher, type MicroBatcherOptions, type RegistryRow, type ReplicableRecord } from '@geo/domain';
import type { RegistryRepository, StoredRegistryRow } from '@geo/pg';
import type { DownloadRecords, DownloadRegistry } from './download-blob';

/**
 * Group commit for the download workers' database calls. Concurrent downloads each read their
 * registry row and record and write their result; one statement per call per blob made PostgreSQL
 * and the worker's event loop the bottleneck of small-blob replication. These decorators merge the
 * calls that arrive while a statement runs into the next one (`MicroBatcher`: a lone call is never
 * delayed). Semantics are unchanged: each write keeps its own compare-and-set guard.
 */
export const DEFAULT_GROUP_COMMIT: MicroBatcherOptions = { maxInputs: 200, maxInFlight: 2 };

type BatchedRegistry = Pick<RegistryRepository, 'replicable' | 'findByModelIds' | 'markSyncedMany' | 'markSynced' | 'markFailed'>;

export function groupCommitRegistry(registry: BatchedRegistry, options: MicroBatcherOptions = DEFAULT_GROUP_COMMIT): DownloadRegistry {
  const reads = new MicroBatcher<number, StoredRegistryRow | undefined>(async (ids) => {
    const rows = new Map((await registry.findByModelIds([...new Set(ids)])).map((r) => [r.modelId, r]));
    return ids.map((id) => rows.get(id));
  }, options);
  const syncedWrites = new MicroBatcher<{ modelId: number; next: RegistryRow; attempt: Date }, StoredRegistryRow | undefined>(
    (items) => registry.markSyncedMany(items),
    options,
  );
  return {
    replicable: registry.replicable,
    findByModelId: (modelId) => reads.submit(modelId),
    // Unguarded writes (no attempt) are not part of the download path; they go straight through.
    markSynced: (modelId, next, attempt) => (attempt === undefined ? registry.markSynced(modelId, next) : syncedWrites.submit({ modelId, next, attempt })),
    markFailed: (modelId, failure, attempt) => registry.markFailed(modelId, failure, attempt),
  };
}

export function groupCommitRecords(records: DownloadRecords, options: MicroBatcherOptions = DEFAULT_GROUP_COMMIT): DownloadRecords {
  const batchers = new Map<string, MicroBatcher<number, ReplicableRecord | undefined>>();
  const batcherFor = (replicableName: string): MicroBatcher<number, ReplicableRecord | undefined> => {
    let batcher = batchers.get(replicableName);
    if (batcher === undefined) {
      batcher = new MicroBatcher(async (ids) => {
        const found = new Map((await records.findByModelIds(replicableName, [...new Set(ids)])).map((r) => [r.modelRecordId, r]));
        return ids.map((id) => found.get(id));
      }, options);
      batchers.set(replicableName, batcher);
    }
    return batcher;
  };
  return {
    async findByModelIds(replicableName, modelIds) {
      const found = await Promise.all(modelIds.map((id) => batcherFor(replicableName).submit(id)));
      return found.filter((r): r is ReplicableRecord => r !== undefined);
    },
    setPrimaryChecksum: (replicableName, modelRecordId, checksum, verifiedAt) => records.setPrimaryChecksum(replicableName, modelRecordId, checksum, verifiedAt),
  };
}
