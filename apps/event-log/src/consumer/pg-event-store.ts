import type { Pool, PoolClient } from 'pg';
import {
  applyRegistryVerificationEvent,
  encodeVerificationState,
  mathRandomJitter,
  type ReplicableDefinition,
  type ReplicableRecord,
  type TransitionContext,
} from '@geo/domain';
import {
  hexToBytea,
  mappingPgErrors,
  PgEventCursorRepository,
  PgRegistryRepository,
  PgReplicableRecordRepository,
  sqlIdentifier,
  withTransaction,
  type EventCursor,
  type EventCursorPosition,
  type StoredRegistryRow,
} from '@geo/pg';
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

  async track(replicable: ReplicableDefinition, records: readonly ReplicableRecord[]): Promise<readonly number[]> {
    const inserted = await new PgRegistryRepository(this.tx, replicable).insertPending(records.map((r) => r.modelRecordId));
    // Every in-scope record is refreshed, also beside an existing registry: the catalogue's answer is newer.
    await this.records.upsert(records);
    return inserted;
  }

  async untrack(replicable: ReplicableDefinition, modelRecordIds: readonly number[]): Promise<readonly ReplicableRecord[]> {
    await new PgRegistryRepository(this.tx, replicable).deleteByModelIds(modelRecordIds);
    return this.records.deleteByModelIds(replicable.name, modelRecordIds);
  }

  /**
   * Locks the existing registry rows (in id order, so concurrent writers cannot deadlock), computes
   * `verification_pending` with the domain machine (from failed only the failure text is cleared,
   * otherwise the retry fields and the mismatch record too) and writes the verification columns.
   */
  async markVerificationPending(replicable: ReplicableDefinition, modelRecordIds: readonly number[]): Promise<readonly number[]> {
    if (modelRecordIds.length === 0) return [];
    const table = sqlIdentifier(replicable.registryTable);
    const fk = sqlIdentifier(replicable.modelForeignKey);
    const locked = await mappingPgErrors(`lock ${table}`, () =>
      this.tx.query<{ model_id: string }>(`SELECT ${fk} AS model_id FROM ${table} WHERE ${fk} = ANY($1::bigint[]) ORDER BY ${fk} FOR UPDATE`, [
        [...modelRecordIds],
      ]),
    );
    const registry = new PgRegistryRepository(this.tx, replicable);
    const marked: number[] = [];
    for (const { model_id } of locked.rows) {
      const row = await registry.findByModelId(Number(model_id));
      if (row === undefined) continue; // unreachable under the row lock; kept for the type
      await this.writeVerification(table, fk, applyRegistryVerificationEvent(row, { event: 'verification_pending' }, this.ctx()));
      marked.push(row.modelId);
    }
    return marked;
  }

  async refreshPrimaryChecksums(replicable: ReplicableDefinition, records: readonly ReplicableRecord[]): Promise<number> {
    let updated = 0;
    for (const r of records) {
      if (r.primaryChecksum === null) continue;
      if (await this.records.setPrimaryChecksum(replicable.name, r.modelRecordId, r.primaryChecksum, r.primaryVerifiedAt)) updated += 1;
    }
    return updated;
  }

  async advanceCursor(position: EventCursorPosition): Promise<void> {
    await new PgEventCursorRepository(this.tx).advance(position);
  }

  /** Writes the verification and mismatch columns of `row` (the sync columns are not touched). */
  private async writeVerification(table: string, fk: string, row: StoredRegistryRow): Promise<void> {
    await mappingPgErrors(`update ${table}`, () =>
      this.tx.query(
        `UPDATE ${table} SET
           verification_state = $2, verification_started_at = $3, verification_retry_at = $4,
           verification_retry_count = $5, verified_at = $6, verification_checksum = $7,
           verification_failure = $8, checksum_mismatch = $9, verification_checksum_mismatched = $10
         WHERE ${fk} = $1`,
        [
          row.modelId,
          encodeVerificationState(row.verificationState),
          row.verificationStartedAt,
          row.verificationRetryAt,
          row.verificationRetryCount,
          row.verifiedAt,
          hexToBytea(row.verificationChecksum),
          row.verificationFailure,
          row.checksumMismatch,
          hexToBytea(row.verificationChecksumMismatched),
        ],
      ),
    );
  }
}
