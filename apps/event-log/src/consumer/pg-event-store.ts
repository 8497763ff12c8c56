import type { Pool, PoolClient } from 'pg';
import {
  applyRegistryVerificationEvent,
  mathRandomJitter,
  type ReplicableDefinition,
  type ReplicableRecord,
  type TransitionContext,
} from '@geo/domain';
import {
  PgEventCursorRepository,
  PgRegistryRepository,
  PgReplicableRecordRepository,
  PgSyncTraceContextRepository,
  withTransaction,
  type EventCursor,
  type EventCursorPosition,
} from '@geo/pg';
import type { TraceCarrier } from '@geo/otel';
import type { EventStore, EventWrites } from './ports';

export interface PgEventStoreOptions {
  /** The secondary's database. */
  readonly pool: Pool;
  /** Clock of the verification transition (unused by `verification_pending` today); default `new Date()`. */
  readonly clock?: () => Date;
}

/**
 * PostgreSQL adapter of the consumer's `EventStore`: the shared registry and record repositories
 * (ADR 0004: the same SQL the sweep and the workers use) bound to one transaction, plus the cursor.
 */
export class PgEventStore implements EventStore {
  constructor(private readonly options: PgEventStoreOptions) {}

  transaction<T>(work: (writes: EventWrites) => Promise<T>): Promise<T> {
    const ctx = (): TransitionContext => ({ now: this.options.clock?.() ?? new Date(), random: mathRandomJitter });
    return withTransaction(this.options.pool, (tx) => work(new PgEventWrites(tx, ctx)));
  }

  readCursor(): Promise<EventCursor | undefined> {
    return new PgEventCursorRepository(this.options.pool).read();
  }
}

/** The writes of one open transaction. */
class PgEventWrites implements EventWrites {
  private readonly records: PgReplicableRecordRepository;

  constructor(
    private readonly tx: PoolClient,
    private readonly ctx: () => TransitionContext,
  ) {
    this.records = new PgReplicableRecordRepository(tx);
  }

  async track(replicable: ReplicableDefinition, records: readonly ReplicableRecord[], traceContexts?: ReadonlyMap<number, TraceCarrier>): Promise<readonly number[]> {
    const inserted = await new PgRegistryRepository(this.tx, replicable).insertPending(records.map((r) => r.modelRecordId));
    // Every in-scope record is refreshed, also beside an existing registry: the catalogue's answer is newer.
    await this.records.upsert(records);
    // Only new rows: they are pending, so the scheduler's next claim takes the context again (ADR 0009).
    if (traceContexts !== undefined && traceContexts.size > 0) {
      const kept = new Map(inserted.flatMap((id) => {
        const carrier = traceContexts.get(id);
        return carrier === undefined ? [] : [[id, carrier] as const];
      }));
      await new PgSyncTraceContextRepository(this.tx).save(replicable.name, kept);
    }
    return inserted;
  }

  async untrack(replicable: ReplicableDefinition, modelRecordIds: readonly number[]): Promise<readonly ReplicableRecord[]> {
    await new PgRegistryRepository(this.tx, replicable).deleteByModelIds(modelRecordIds);
    await new PgSyncTraceContextRepository(this.tx).take(replicable.name, modelRecordIds);
    return this.records.deleteByModelIds(replicable.name, modelRecordIds);
  }

  /**
   * Locks the existing registry rows (in id order, so concurrent writers cannot deadlock), computes
   * `verification_pending` with the domain machine (from failed only the failure text is cleared,
   * otherwise the retry fields and the mismatch record too) and writes the verification columns.
   */
  async markVerificationPending(replicable: ReplicableDefinition, modelRecordIds: readonly number[]): Promise<readonly number[]> {
    if (modelRecordIds.length === 0) return [];
    const registry = new PgRegistryRepository(this.tx, replicable);
    const next = (await registry.lockByModelIds(modelRecordIds)).map((row) => applyRegistryVerificationEvent(row, { event: 'verification_pending' }, this.ctx()));
    await registry.writeVerificationMany(next);
    return next.map((row) => row.modelId);
  }

  async refreshPrimaryChecksums(replicable: ReplicableDefinition, records: readonly ReplicableRecord[]): Promise<number> {
    return this.records.setPrimaryChecksums(
      replicable.name,
      records.flatMap((r) => (r.primaryChecksum === null ? [] : [{ modelRecordId: r.modelRecordId, checksum: r.primaryChecksum, verifiedAt: r.primaryVerifiedAt }])),
    );
  }

  async advanceCursor(position: EventCursorPosition): Promise<void> {
    await new PgEventCursorRepository(this.tx).advance(position);
  }
}
