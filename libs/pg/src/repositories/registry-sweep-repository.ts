import type { Pool } from 'pg';
import { encodeSyncState, ValidationError, type ReplicableDefinition, type ReplicableRecord, type SyncTimeoutValues } from '@geo/domain';
import { mappingPgErrors } from '../errors';
import { sqlIdentifier } from '../schema/naming';
import { withTransaction } from '../transaction';
import { PgRegistryRepository } from './registry-repository';
import { toId, type StoredRegistryRow } from './registry-row-mapping';
import { PgReplicableRecordRepository } from './replicable-record-repository';
import { PgSyncTraceContextRepository, type StoredTraceContext } from './sync-trace-context-repository';

/** One model id a secondary knows about in a range, and which of its two rows exist. */
export interface TrackedModel {
  readonly modelId: number;
  /** A `<name>_registry` row exists. */
  readonly hasRegistry: boolean;
  /** A `geo_replicable_records` row exists (it holds the blob key). */
  readonly hasRecord: boolean;
}

/** What `untrack` removed. */
export interface UntrackResult {
  readonly registryRowsDeleted: number;
  /** The deleted record rows: their `blobKey`s locate the local blobs to delete. Ids without one are absent. */
  readonly records: readonly ReplicableRecord[];
}

export interface ClaimWithinCapacityOptions {
  /** Rows allowed in `started` at once (the site's `files_max_capacity` share). */
  readonly capacity: number;
  /** Most rows one claim may start (GitLab `DB_RETRIEVE_BATCH_SIZE`, 1000). */
  readonly maxBatch: number;
  /** Clock for `retry_at` checks and `last_synced_at`; the database's `now()` by default. */
  readonly now?: Date;
  /**
   * Also take the claimed rows' stored trace contexts (`geo_sync_trace_contexts`, ADR 0009) in the
   * same transaction. Pass it while spans are exported; otherwise nothing stores them, and the claim
   * saves the statement.
   */
  readonly withTraceContexts?: boolean;
}

export interface CapacityClaim {
  /** Rows `started` before this claim. */
  readonly inFlight: number;
  /** Rows this claim moved to `started` (ascending id); `lastSyncedAt` is each job's attempt token. */
  readonly claimed: readonly StoredRegistryRow[];
  /** With `withTraceContexts`: the trace each claimed row was created in, by model id (rows without one are absent). */
  readonly traceContexts: ReadonlyMap<number, StoredTraceContext>;
}

/** A row in `started`, with the attempt token its sync job carries. */
export interface StartedRow {
  readonly id: number;
  readonly modelId: number;
  readonly lastSyncedAt: Date;
}

export interface StartedBeforeOptions {
  /** Keyset: only rows with a registry id above this one (0 for the first page). */
  readonly afterId?: number;
  readonly limit: number;
}

/** Rows the timeout sweep updates per statement, so a large backlog never holds millions of locks. */
export const DEFAULT_TIMEOUT_BATCH_SIZE = 1000;

/**
 * The secondary registry's upkeep SQL (spec §2.7, §6; ADR 0004): what the consistency sweep, the
 * sync scheduler and the timeout sweep need besides `PgRegistryRepository`. Methods that write two
 * tables (registry + `geo_replicable_records`) or must read-then-write under a lock run in their
 * own transaction, hence a `Pool` rather than any `SqlExecutor`.
 */
export interface RegistrySweepRepository {
  readonly replicable: ReplicableDefinition;
  /** Model ids in [from, to] that have a registry row or a record row (or both), ascending. */
  trackedInRange(from: number, to: number): Promise<TrackedModel[]>;
  /** Largest model id with a registry or record row of this type; 0 when there is none. */
  maxTrackedModelId(): Promise<number>;
  /**
   * In ONE transaction: a `pending` registry row for each record that has none, and the records
   * upserted. Returns the model ids whose registry row was inserted (ascending).
   */
  track(records: readonly ReplicableRecord[]): Promise<number[]>;
  /** In ONE transaction: deletes the registry rows, record rows and stored trace contexts of these ids. */
  untrack(modelIds: readonly number[]): Promise<UntrackResult>;
  /** Rows in `started` (the syncs in flight, counted from the table so capacity survives restarts). */
  countStarted(): Promise<number>;
  /**
   * Claims `min(capacity − started, maxBatch)` rows with `PgRegistryRepository.claimSyncBatch`
   * (pending first, then due failed). Count and claim run under a per-type transaction-level
   * advisory lock, so concurrent schedulers never start more than `capacity` rows together.
   */
  claimWithinCapacity(options: ClaimWithinCapacityOptions): Promise<CapacityClaim>;
  /**
   * GitLab `fail_sync_timeouts`: rows `started` with `last_synced_at < startedBefore` get the
   * domain's bulk values (`update_all`, no callbacks), `batchSize` rows per statement until none is
   * left. Rows locked by a concurrent writer are skipped (the next sweep gets them). Returns the count.
   */
  failTimedOut(startedBefore: Date, values: SyncTimeoutValues, batchSize?: number): Promise<number>;
  /** `started` rows with `last_synced_at < startedBefore`, by ascending registry id (keyset pages). */
  startedBefore(startedBefore: Date, options: StartedBeforeOptions): Promise<StartedRow[]>;
}

const STARTED = encodeSyncState('started');

function assertRange(from: number, to: number): void {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 1 || to < from) {
    throw new ValidationError(`invalid model id range [${from}, ${to}]`);
  }
}

function assertNonNegativeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(`${name} must be a non-negative integer, got ${value}`);
}

function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ValidationError(`${name} must be a positive integer, got ${value}`);
}

/** PostgreSQL implementation for one replicable type. */
export class PgRegistrySweepRepository implements RegistrySweepRepository {
  private readonly table: string;
  private readonly fk: string;
  /** Key of the scheduler's advisory lock: one per registry table, so types never block each other. */
  private readonly lockName: string;

  constructor(
    private readonly pool: Pool,
    readonly replicable: ReplicableDefinition,
  ) {
    this.table = sqlIdentifier(replicable.registryTable);
    this.fk = sqlIdentifier(replicable.modelForeignKey);
    this.lockName = `geo_sync_scheduler:${replicable.registryTable}`;
  }

  async trackedInRange(from: number, to: number): Promise<TrackedModel[]> {
    assertRange(from, to);
    return mappingPgErrors(`tracked range ${this.table}`, async () => {
      // Both sides are index range scans (the registry's unique FK, the records' primary key).
      const result = await this.pool.query<{ model_id: string; has_registry: boolean; has_record: boolean }>(
        `SELECT model_id, bool_or(reg) AS has_registry, bool_or(rec) AS has_record FROM (
           SELECT ${this.fk} AS model_id, true AS reg, false AS rec FROM ${this.table} WHERE ${this.fk} BETWEEN $1 AND $2
           UNION ALL
           SELECT model_record_id, false, true FROM geo_replicable_records
           WHERE replicable_name = $3 AND model_record_id BETWEEN $1 AND $2
         ) AS known
         GROUP BY model_id ORDER BY model_id`,
        [from, to, this.replicable.name],
      );
      return result.rows.map((r) => ({ modelId: toId(r.model_id), hasRegistry: r.has_registry, hasRecord: r.has_record }));
    });
  }

  async maxTrackedModelId(): Promise<number> {
    return mappingPgErrors(`max id ${this.table}`, async () => {
      const result = await this.pool.query<{ max_id: string }>(
        `SELECT GREATEST(
           COALESCE((SELECT max(${this.fk}) FROM ${this.table}), 0),
           COALESCE((SELECT max(model_record_id) FROM geo_replicable_records WHERE replicable_name = $1), 0)
         ) AS max_id`,
        [this.replicable.name],
      );
      return toId(result.rows[0]?.max_id ?? '0');
    });
  }

  async track(records: readonly ReplicableRecord[]): Promise<number[]> {
    if (records.length === 0) return [];
    for (const r of records) {
      if (r.replicableName !== this.replicable.name) {
        throw new ValidationError(`record ${r.modelRecordId} is a ${r.replicableName}, not a ${this.replicable.name}`);
      }
    }
    return withTransaction(this.pool, async (tx) => {
      const inserted = await new PgRegistryRepository(tx, this.replicable).insertPending(records.map((r) => r.modelRecordId));
      await new PgReplicableRecordRepository(tx).upsert(records);
      return inserted;
    });
  }

  async untrack(modelIds: readonly number[]): Promise<UntrackResult> {
    if (modelIds.length === 0) return { registryRowsDeleted: 0, records: [] };
    return withTransaction(this.pool, async (tx) => {
      const registryRowsDeleted = await new PgRegistryRepository(tx, this.replicable).deleteByModelIds(modelIds);
      const records = await new PgReplicableRecordRepository(tx).deleteByModelIds(this.replicable.name, modelIds);
      // A context kept for a row that never got claimed goes with the row (ADR 0009).
      await new PgSyncTraceContextRepository(tx).take(this.replicable.name, modelIds);
      return { registryRowsDeleted, records };
    });
  }

  async countStarted(): Promise<number> {
    return mappingPgErrors(`count started ${this.table}`, async () => {
      const result = await this.pool.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${this.table} WHERE state = ${STARTED}`);
      return result.rows[0]?.count ?? 0;
    });
  }

  async claimWithinCapacity(options: ClaimWithinCapacityOptions): Promise<CapacityClaim> {
    assertNonNegativeInteger('capacity', options.capacity);
    assertPositiveInteger('maxBatch', options.maxBatch);
    return withTransaction(this.pool, async (tx) => {
      await mappingPgErrors(`lock ${this.table} scheduler`, () => tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockName]));
      // Counted inside the lock: another scheduler's claim is either committed (counted) or waits.
      const counted = await mappingPgErrors(`count started ${this.table}`, () =>
        tx.query<{ count: number }>(`SELECT count(*)::int AS count FROM ${this.table} WHERE state = ${STARTED}`),
      );
      const inFlight = counted.rows[0]?.count ?? 0;
      const limit = Math.max(0, Math.min(options.capacity - inFlight, options.maxBatch));
      if (limit === 0) return { inFlight, claimed: [], traceContexts: new Map() };
      const claimed = await new PgRegistryRepository(tx, this.replicable).claimSyncBatch({
        limit,
        ...(options.now === undefined ? {} : { now: options.now }),
      });
      const traceContexts =
        options.withTraceContexts === true && claimed.length > 0
          ? await new PgSyncTraceContextRepository(tx).take(this.replicable.name, claimed.map((row) => row.modelId))
          : new Map<number, StoredTraceContext>();
      return { inFlight, claimed, traceContexts };
    });
  }

  async failTimedOut(startedBefore: Date, values: SyncTimeoutValues, batchSize: number = DEFAULT_TIMEOUT_BATCH_SIZE): Promise<number> {
    assertPositiveInteger('batchSize', batchSize);
    let total = 0;
    for (;;) {
      const updated = await mappingPgErrors(`time out ${this.table}`, async () => {
        // One retry time for the whole sweep, like GitLab's `update_all`. The outer WHERE re-checks
        // the state on the locked row version.
        const result = await this.pool.query(
          `WITH batch AS (
             SELECT id FROM ${this.table}
             WHERE state = ${STARTED} AND last_synced_at < $1
             ORDER BY id
             LIMIT $2
             FOR UPDATE SKIP LOCKED
           )
           UPDATE ${this.table} AS r
           SET state = $3, last_sync_failure = $4, retry_count = $5, retry_at = $6
           FROM batch
           WHERE r.id = batch.id AND r.state = ${STARTED}`,
          [startedBefore, batchSize, encodeSyncState(values.state), values.lastSyncFailure, values.retryCount, values.retryAt],
        );
        return result.rowCount ?? 0;
      });
      total += updated;
      if (updated < batchSize) return total;
    }
  }

  async startedBefore(startedBefore: Date, options: StartedBeforeOptions): Promise<StartedRow[]> {
    const afterId = options.afterId ?? 0;
    assertNonNegativeInteger('afterId', afterId);
    assertPositiveInteger('limit', options.limit);
    return mappingPgErrors(`select started ${this.table}`, async () => {
      const result = await this.pool.query<{ id: string; model_id: string; last_synced_at: Date }>(
        `SELECT id, ${this.fk} AS model_id, last_synced_at FROM ${this.table}
         WHERE state = ${STARTED} AND last_synced_at < $1 AND id > $2
         ORDER BY id
         LIMIT $3`,
        [startedBefore, afterId, options.limit],
      );
      return result.rows.map((r) => ({ id: toId(r.id), modelId: toId(r.model_id), lastSyncedAt: r.last_synced_at }));
    });
  }
}
