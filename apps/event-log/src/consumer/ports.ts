import type { ReplicableDefinition, ReplicableRecord } from '@geo/domain';
import type { TraceCarrier } from '@geo/otel';
import type { EventCursor, EventCursorPosition } from '@geo/pg';

/**
 * The ports of the log cursor's use case (event-applier.ts). The PostgreSQL adapter is
 * pg-event-store.ts; the catalogue is `PrimaryCatalogClient`; the blob store any `BlobStore`.
 */

/** The primary's catalogue as seen by this secondary (`PrimaryCatalogClient` satisfies it). */
export interface ReplicableCatalogue {
  /** The records of these ids that exist on the primary AND are in this site's scope; others are absent. */
  getReplicables(replicableName: string, modelRecordIds: readonly number[], signal?: AbortSignal): Promise<ReplicableRecord[]>;
}

/** The slice of a `BlobStore` the consumer needs: deleting is idempotent, keys are validated by the store. */
export interface BlobRemover {
  delete(key: string): Promise<void>;
}

/** The writes of one batch, all inside one database transaction. */
export interface EventWrites {
  /**
   * Starts tracking in-scope records: a `pending` registry row for each id without one (an existing
   * row is left as it is) and the record rows inserted or refreshed. Returns the ids whose registry
   * row is new. `traceContexts` (by model id): the trace each new row continues when its sync job is
   * published (ADR 0009); stored only for the new rows.
   */
  track(replicable: ReplicableDefinition, records: readonly ReplicableRecord[], traceContexts?: ReadonlyMap<number, TraceCarrier>): Promise<readonly number[]>;
  /** Deletes the registry rows, record rows and stored trace contexts of these ids; returns the record rows deleted (their blob keys). */
  untrack(replicable: ReplicableDefinition, modelRecordIds: readonly number[]): Promise<readonly ReplicableRecord[]>;
  /** GitLab `registry.verification_pending!` on the registries that exist; returns their ids. */
  markVerificationPending(replicable: ReplicableDefinition, modelRecordIds: readonly number[]): Promise<readonly number[]>;
  /** Stores the primary's succeeded checksum on record rows that exist; returns how many were updated. */
  refreshPrimaryChecksums(replicable: ReplicableDefinition, records: readonly ReplicableRecord[]): Promise<number>;
  /** Moves the log cursor forward (never back) to `position`. */
  advanceCursor(position: EventCursorPosition): Promise<void>;
}

/** The secondary's database as the consumer uses it. */
export interface EventStore {
  /** Runs `work` in one transaction: everything it wrote commits together or not at all. */
  transaction<T>(work: (writes: EventWrites) => Promise<T>): Promise<T>;
  /** The stored cursor, for status after a restart. */
  readCursor(): Promise<EventCursor | undefined>;
}
