import {
  decodeVerificationState,
  encodeVerificationState,
  ValidationError,
  type ReplicableDefinition,
  type VerificationFields,
  type VerificationState,
  type VerificationTimeoutValues,
} from '@geo/domain';
import { byteaToHex, hexToBytea } from '../bytea-hex';
import { mappingPgErrors } from '../errors';
import { sqlIdentifier } from '../schema/naming';
import type { SqlExecutor } from '../transaction';
import { toId } from './registry-row-mapping';
import { assertPositiveIds } from './assert-ids';

/** A primary `*_states` row as stored: the domain's verification fields plus its identity. */
export interface StoredVerificationState extends VerificationFields {
  /** State row id. */
  readonly id: number;
  /** Id of the model record (`<name>_id`). */
  readonly modelId: number;
}

/** Where a claimed record's blob is, read from the model row in the same statement as the claim. */
export interface ClaimedBlob {
  /** Relative blob-store key (the definition's `source.blobKeyColumn`). */
  readonly key: string;
  /** Size in bytes recorded on the model row. */
  readonly size: number;
  /** GitLab `file_store`: 1 local, 2 remote; null when the column is NULL. */
  readonly fileStore: number | null;
}

/**
 * A state row this worker claimed: now `verification_started`, with `verificationStartedAt` (ms
 * precision) as the claim's token. Only a result carrying that token can be recorded.
 */
export interface VerificationClaim {
  readonly state: StoredVerificationState;
  readonly blob: ClaimedBlob;
}

/**
 * The outcome of one claim, computed by the domain (`applyVerificationEvent` on `claim.state`):
 * `next` must be `verification_succeeded` or `verification_failed`.
 */
export interface VerificationResult {
  readonly claim: VerificationClaim;
  readonly next: VerificationFields;
}

/** A result that was written (its claim was still current). */
export interface RecordedVerification {
  readonly stateId: number;
  readonly modelId: number;
  readonly verificationState: VerificationState;
  /** The claim token the result was written under (tells two claims of one row apart). */
  readonly verificationStartedAt: Date;
}

/** The primary's verification facts for one record (gRPC `GetChecksums`). */
export interface PrimaryChecksumRow {
  readonly modelId: number;
  readonly verificationState: VerificationState;
  /** Lowercase hex, or null when none is stored. */
  readonly checksum: string | null;
  readonly verifiedAt: Date | null;
}

/** One step of the state-row backfill over the model table. */
export interface BackfillStep {
  /** Highest model id of this range; null when no model row is left after the cursor (pass over). */
  readonly lastModelId: number | null;
  /** State rows inserted (pending) for model rows that had none. */
  readonly inserted: number;
  /** State rows deleted because their model row is gone. */
  readonly deleted: number;
}

/** Which rows `reverifyAll` re-marks; every given condition must hold. */
export interface ReverifyAllFilter {
  /** Only these model ids; undefined means all. */
  readonly modelIds?: readonly number[];
  /** Only rows in this state; undefined means any state but pending. */
  readonly state?: VerificationState;
}

/**
 * The primary's verification state table of one replicable type (`<name>_states`, spec §3.1 and
 * §3.5). Every method is one SQL statement (`reverifyAll` loops over id batches), safe with any
 * number of concurrent workers. The state machine lives in the domain: results arrive as rows the
 * domain computed, and the bulk statements here (timeout, reverification, reverify) write exactly
 * the columns the domain's transitions would.
 */
export interface VerificationStateRepository {
  readonly replicable: ReplicableDefinition;
  /**
   * Claims up to `limit` rows (GitLab `verify_batch`): pending rows first, oldest `verified_at`
   * first (never verified first), then failed rows whose `verification_retry_at` is NULL or due,
   * earliest first. Claimed rows become `verification_started` with `verification_started_at = now`
   * in the same statement (`FOR UPDATE SKIP LOCKED`), so concurrent claimers never share a row.
   */
  claimBatch(limit: number): Promise<VerificationClaim[]>;
  /**
   * Claims one record whatever its state (operator "verify now"; GitLab's `verify` marks started if
   * not already), creating its state row when missing. Undefined when the model row does not exist.
   */
  claimOne(modelId: number): Promise<VerificationClaim | undefined>;
  /**
   * Writes the domain-computed results in one statement, each only while its row is still
   * `verification_started` by the same claim (same `verification_started_at`). A row re-marked
   * while its checksum was calculated (reverified → pending, or claimed again) keeps what the
   * re-marker wrote: GitLab's `updated_during_checksum` rule, which sends it back to pending.
   * Pass the transaction that also writes the `checksum_succeeded` events as `db`.
   */
  recordResults(results: readonly VerificationResult[], db?: SqlExecutor): Promise<RecordedVerification[]>;
  /** Timeout sweep: rows started before `startedBefore` get the domain's bulk timeout values. */
  failTimedOut(startedBefore: Date, values: VerificationTimeoutValues): Promise<number>;
  /**
   * Reverification: up to `limit` succeeded rows with `verified_at < verifiedBefore`, oldest first,
   * become pending (failure fields cleared, as the domain's `verification_pending` does).
   */
  markStaleSucceededPending(verifiedBefore: Date, limit: number): Promise<number>;
  /**
   * Backfill of the model id range after `afterModelId` (the next `limit` model rows): inserts
   * missing state rows as pending and deletes state rows whose model row is gone. When no model row
   * is left, deletes every orphan after the cursor and reports `lastModelId: null`.
   */
  backfillRange(afterModelId: number, limit: number): Promise<BackfillStep>;
  /** Rows needing verification (pending, or failed and due), counted up to `limit` (spec §3.8). */
  needsVerificationCount(limit: number): Promise<number>;
  /** Checksums and states of these model ids; ids without a state row are absent. */
  getChecksums(modelIds: readonly number[]): Promise<PrimaryChecksumRow[]>;
  findByModelId(modelId: number): Promise<StoredVerificationState | undefined>;
  /**
   * Marks one record pending from any state (creating its state row when missing); returns the new
   * state, or undefined when the model row does not exist.
   */
  reverify(modelId: number): Promise<VerificationState | undefined>;
  /** Marks every matching row that is not pending as pending; returns how many were changed. */
  reverifyAll(filter?: ReverifyAllFilter): Promise<number>;
}

const PENDING = encodeVerificationState('verification_pending');
const STARTED = encodeVerificationState('verification_started');
const SUCCEEDED = encodeVerificationState('verification_succeeded');
const FAILED = encodeVerificationState('verification_failed');

/** Rows `reverifyAll` updates per statement, so a table-wide reverify never holds millions of locks. */
const REVERIFY_ALL_BATCH_SIZE = 1000;

/** Raw shape node-postgres returns for a state row (bigint as string, smallint as number, bytea as Buffer). */
interface StateDbRow {
  id: string;
  model_id: string;
  verification_state: number;
  verification_started_at: Date | null;
  verification_retry_at: Date | null;
  verification_retry_count: number;
  verified_at: Date | null;
  verification_checksum: Buffer | null;
  verification_failure: string | null;
}

interface ClaimDbRow extends StateDbRow {
  blob_key: string;
  blob_size: number | string;
  file_store: number | null;
}

function fromStateDbRow(row: StateDbRow): StoredVerificationState {
  return {
    id: toId(row.id),
    modelId: toId(row.model_id),
    verificationState: decodeVerificationState(row.verification_state),
    verificationStartedAt: row.verification_started_at,
    verificationRetryAt: row.verification_retry_at,
    verificationRetryCount: row.verification_retry_count,
    verifiedAt: row.verified_at,
    verificationChecksum: byteaToHex(row.verification_checksum),
    verificationFailure: row.verification_failure,
  };
}

function fromClaimDbRow(row: ClaimDbRow): VerificationClaim {
  return {
    state: fromStateDbRow(row),
    blob: { key: row.blob_key, size: Number(row.blob_size), fileStore: row.file_store },
  };
}

function assertLimit(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(`${name} must be a non-negative integer, got ${value}`);
}

/** PostgreSQL implementation; every table and column name comes from the definition. */
export class PgVerificationStateRepository implements VerificationStateRepository {
  private readonly table: string;
  private readonly fk: string;
  private readonly model: string;
  private readonly stateColumns: string;
  /** The model row's blob location columns, read through the alias `m`, in `ClaimDbRow` names. */
  private readonly blobColumns: string;
  /**
   * SET list moving a row to pending with the domain's side effects (`applyVerificationEvent`,
   * `verification_pending`): from failed only the failure text is cleared (retry count and time stay
   * for a progressive backoff); from any other state all failure fields are cleared. In an UPDATE
   * the right-hand sides read the row's old values. `ref` qualifies the old row (ON CONFLICT needs it).
   */
  private readonly pendingSet: (ref: string) => string;

  constructor(
    private readonly db: SqlExecutor,
    readonly replicable: ReplicableDefinition,
  ) {
    this.table = sqlIdentifier(replicable.stateTable);
    this.fk = sqlIdentifier(replicable.modelForeignKey);
    this.model = sqlIdentifier(replicable.source.table);
    const source = replicable.source;
    this.stateColumns = this.qualifiedStateColumns('');
    this.blobColumns = [
      `m.${sqlIdentifier(source.blobKeyColumn)} AS blob_key`,
      `m.${sqlIdentifier(source.sizeColumn)} AS blob_size`,
      `m.${sqlIdentifier(source.fileStoreColumn)} AS file_store`,
    ].join(', ');
    this.pendingSet = (ref) => `verification_state = ${PENDING},
         verification_failure = NULL,
         verification_retry_count = CASE WHEN ${ref}.verification_state = ${FAILED} THEN ${ref}.verification_retry_count ELSE 0 END,
         verification_retry_at = CASE WHEN ${ref}.verification_state = ${FAILED} THEN ${ref}.verification_retry_at ELSE NULL END`;
  }

  /** The `StateDbRow` column list, each column prefixed with `prefix` (e.g. `s.`). */
  private qualifiedStateColumns(prefix: string): string {
    return [
      `${prefix}id`,
      `${prefix}${this.fk} AS model_id`,
      `${prefix}verification_state`,
      `${prefix}verification_started_at`,
      `${prefix}verification_retry_at`,
      `${prefix}verification_retry_count`,
      `${prefix}verified_at`,
      `${prefix}verification_checksum`,
      `${prefix}verification_failure`,
    ].join(', ');
  }

  async claimBatch(limit: number): Promise<VerificationClaim[]> {
    assertLimit('claim limit', limit);
    if (limit === 0) return [];
    return mappingPgErrors(`claim ${this.table}`, async () => {
      // Two locked candidate sets in one statement: the failed set only fills what the pending set
      // left. Both scans follow the partial indexes (pending by verified_at, failed by retry_at); the
      // update then looks the claimed ids up by primary key (`= ANY (ARRAY(…))`: `IN (…)` or a join
      // with the CTE plans as a hash join over a sequential scan of the whole table).
      // `verification_started_at` is cut to milliseconds so the token survives the round trip
      // through a JS Date exactly (recordResults compares it for equality).
      const result = await this.db.query<ClaimDbRow>(
        `WITH pending AS (
           SELECT id FROM ${this.table}
           WHERE verification_state = ${PENDING}
           ORDER BY verified_at ASC NULLS FIRST
           LIMIT $1
           FOR UPDATE SKIP LOCKED
         ), failed AS (
           SELECT id FROM ${this.table}
           WHERE verification_state = ${FAILED} AND (verification_retry_at IS NULL OR verification_retry_at <= now())
           ORDER BY verification_retry_at ASC NULLS FIRST
           LIMIT GREATEST($1 - (SELECT count(*) FROM pending), 0)
           FOR UPDATE SKIP LOCKED
         )
         UPDATE ${this.table} AS s
         SET verification_state = ${STARTED}, verification_started_at = date_trunc('milliseconds', now())
         FROM ${this.model} AS m
         WHERE s.id = ANY (ARRAY(SELECT id FROM pending UNION ALL SELECT id FROM failed)) AND m.id = s.${this.fk}
         RETURNING ${this.qualifiedStateColumns('s.')}, ${this.blobColumns}`,
        [limit],
      );
      return result.rows.map(fromClaimDbRow).sort((a, b) => a.state.id - b.state.id);
    });
  }

  async claimOne(modelId: number): Promise<VerificationClaim | undefined> {
    assertPositiveIds([modelId]);
    return mappingPgErrors(`claim one ${this.table}`, async () => {
      // Upsert: a missing state row (not yet backfilled) is created already started.
      const result = await this.db.query<ClaimDbRow>(
        `WITH claimed AS (
           INSERT INTO ${this.table} AS s (${this.fk}, verification_state, verification_started_at)
           SELECT id, ${STARTED}, date_trunc('milliseconds', now()) FROM ${this.model} WHERE id = $1
           ON CONFLICT (${this.fk}) DO UPDATE
             SET verification_state = ${STARTED}, verification_started_at = date_trunc('milliseconds', now())
           RETURNING ${this.qualifiedStateColumns('s.')}
         )
         SELECT c.*, ${this.blobColumns} FROM claimed c JOIN ${this.model} m ON m.id = c.model_id`,
        [modelId],
      );
      const row = result.rows[0];
      return row === undefined ? undefined : fromClaimDbRow(row);
    });
  }

  async recordResults(results: readonly VerificationResult[], db: SqlExecutor = this.db): Promise<RecordedVerification[]> {
    if (results.length === 0) return [];
    for (const { claim, next } of results) {
      if (next.verificationState !== 'verification_succeeded' && next.verificationState !== 'verification_failed') {
        throw new ValidationError(`a verification result must be succeeded or failed, got ${next.verificationState}`);
      }
      if (claim.state.verificationStartedAt === null) {
        throw new ValidationError(`state row ${claim.state.id} has no verification_started_at: it was not claimed`);
      }
    }
    return mappingPgErrors(`record results ${this.table}`, async () => {
      const result = await db.query<{ id: string; model_id: string; verification_state: number; verification_started_at: Date }>(
        `UPDATE ${this.table} AS s SET
           verification_state = v.state,
           verification_checksum = v.checksum,
           verified_at = v.verified_at,
           verification_retry_count = v.retry_count,
           verification_retry_at = v.retry_at,
           verification_failure = v.failure
         FROM unnest($1::bigint[], $2::timestamptz[], $3::smallint[], $4::bytea[], $5::timestamptz[], $6::smallint[], $7::timestamptz[], $8::text[])
           AS v(id, claimed_started_at, state, checksum, verified_at, retry_count, retry_at, failure)
         WHERE s.id = v.id AND s.verification_state = ${STARTED} AND s.verification_started_at = v.claimed_started_at
         RETURNING s.id, s.${this.fk} AS model_id, s.verification_state, s.verification_started_at`,
        [
          results.map((r) => r.claim.state.id),
          results.map((r) => r.claim.state.verificationStartedAt),
          results.map((r) => encodeVerificationState(r.next.verificationState)),
          results.map((r) => hexToBytea(r.next.verificationChecksum)),
          results.map((r) => r.next.verifiedAt),
          results.map((r) => r.next.verificationRetryCount),
          results.map((r) => r.next.verificationRetryAt),
          results.map((r) => r.next.verificationFailure),
        ],
      );
      return result.rows
        .map((row) => ({
          stateId: toId(row.id),
          modelId: toId(row.model_id),
          verificationState: decodeVerificationState(row.verification_state),
          verificationStartedAt: row.verification_started_at,
        }))
        .sort((a, b) => a.stateId - b.stateId);
    });
  }

  async failTimedOut(startedBefore: Date, values: VerificationTimeoutValues): Promise<number> {
    return mappingPgErrors(`time out ${this.table}`, async () => {
      // Bulk, like GitLab's newer `update_all`: one retry time for the whole sweep.
      const result = await this.db.query(
        `UPDATE ${this.table} SET
           verification_state = $2, verification_failure = $3, verification_checksum = NULL,
           verification_retry_count = $4, verification_retry_at = $5, verified_at = $6
         WHERE verification_state = ${STARTED} AND verification_started_at < $1`,
        [
          startedBefore,
          encodeVerificationState(values.verificationState),
          values.verificationFailure,
          values.verificationRetryCount,
          values.verificationRetryAt,
          values.verifiedAt,
        ],
      );
      return result.rowCount ?? 0;
    });
  }

  async markStaleSucceededPending(verifiedBefore: Date, limit: number): Promise<number> {
    assertLimit('reverification limit', limit);
    if (limit === 0) return 0;
    return mappingPgErrors(`reverify stale ${this.table}`, async () => {
      const result = await this.db.query(
        `WITH stale AS (
           SELECT id FROM ${this.table}
           WHERE verification_state = ${SUCCEEDED} AND verified_at < $1
           ORDER BY verified_at ASC
           LIMIT $2
           FOR UPDATE SKIP LOCKED
         )
         UPDATE ${this.table} AS s SET ${this.pendingSet('s')}
         WHERE s.id = ANY (ARRAY(SELECT id FROM stale))`,
        [verifiedBefore, limit],
      );
      return result.rowCount ?? 0;
    });
  }

  async backfillRange(afterModelId: number, limit: number): Promise<BackfillStep> {
    assertLimit('backfill cursor', afterModelId);
    assertLimit('backfill limit', limit);
    if (limit === 0) throw new ValidationError('backfill limit must be positive');
    return mappingPgErrors(`backfill ${this.table}`, async () => {
      // The range is (cursor, highest id of the next `limit` model rows]; an empty batch means the
      // cursor passed the last model row, and the range extends to infinity to catch orphans there.
      // The FK cascade normally removes state rows with their model row; the delete covers a schema
      // without it. Both sides read the state table only inside the range (an index range scan on
      // the unique foreign key), never all of it.
      const result = await this.db.query<{ last_model_id: string | null; inserted: string; deleted: string }>(
        `WITH batch AS (
           SELECT id FROM ${this.model} WHERE id > $1 ORDER BY id LIMIT $2
         ), bounds AS (
           SELECT max(id) AS hi FROM batch
         ), inserted AS (
           INSERT INTO ${this.table} (${this.fk}, verification_state)
           SELECT b.id, ${PENDING} FROM batch b
           LEFT JOIN (
             SELECT ${this.fk} AS model_id FROM ${this.table}
             WHERE ${this.fk} > $1 AND ${this.fk} <= (SELECT hi FROM bounds)
           ) AS existing ON existing.model_id = b.id
           WHERE existing.model_id IS NULL
           ON CONFLICT (${this.fk}) DO NOTHING
           RETURNING 1
         ), deleted AS (
           DELETE FROM ${this.table} s
           WHERE s.${this.fk} > $1
             AND s.${this.fk} <= COALESCE((SELECT hi FROM bounds), 9223372036854775807)
             AND NOT EXISTS (SELECT 1 FROM ${this.model} m WHERE m.id = s.${this.fk})
           RETURNING 1
         )
         SELECT (SELECT hi FROM bounds) AS last_model_id,
                (SELECT count(*) FROM inserted) AS inserted,
                (SELECT count(*) FROM deleted) AS deleted`,
        [afterModelId, limit],
      );
      const row = result.rows[0];
      return {
        lastModelId: row?.last_model_id == null ? null : toId(row.last_model_id),
        inserted: Number(row?.inserted ?? 0),
        deleted: Number(row?.deleted ?? 0),
      };
    });
  }

  async needsVerificationCount(limit: number): Promise<number> {
    assertLimit('count limit', limit);
    if (limit === 0) return 0;
    return mappingPgErrors(`count ${this.table}`, async () => {
      const result = await this.db.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM (
           SELECT 1 FROM ${this.table}
           WHERE verification_state = ${PENDING}
              OR (verification_state = ${FAILED} AND (verification_retry_at IS NULL OR verification_retry_at <= now()))
           LIMIT $1
         ) AS needing`,
        [limit],
      );
      return result.rows[0]?.count ?? 0;
    });
  }

  async getChecksums(modelIds: readonly number[]): Promise<PrimaryChecksumRow[]> {
    assertPositiveIds(modelIds);
    if (modelIds.length === 0) return [];
    return mappingPgErrors(`get checksums ${this.table}`, async () => {
      const result = await this.db.query<StateDbRow>(
        `SELECT ${this.stateColumns} FROM ${this.table} WHERE ${this.fk} = ANY($1::bigint[]) ORDER BY ${this.fk}`,
        [modelIds],
      );
      return result.rows.map(fromStateDbRow).map((row) => ({
        modelId: row.modelId,
        verificationState: row.verificationState,
        checksum: row.verificationChecksum,
        verifiedAt: row.verifiedAt,
      }));
    });
  }

  async findByModelId(modelId: number): Promise<StoredVerificationState | undefined> {
    return mappingPgErrors(`select ${this.table}`, async () => {
      const result = await this.db.query<StateDbRow>(`SELECT ${this.stateColumns} FROM ${this.table} WHERE ${this.fk} = $1`, [modelId]);
      const row = result.rows[0];
      return row === undefined ? undefined : fromStateDbRow(row);
    });
  }

  async reverify(modelId: number): Promise<VerificationState | undefined> {
    assertPositiveIds([modelId]);
    return mappingPgErrors(`reverify ${this.table}`, async () => {
      const result = await this.db.query<{ verification_state: number }>(
        `INSERT INTO ${this.table} AS s (${this.fk}, verification_state)
         SELECT id, ${PENDING} FROM ${this.model} WHERE id = $1
         ON CONFLICT (${this.fk}) DO UPDATE SET ${this.pendingSet('s')}
         RETURNING s.verification_state`,
        [modelId],
      );
      const row = result.rows[0];
      return row === undefined ? undefined : decodeVerificationState(row.verification_state);
    });
  }

  async reverifyAll(filter: ReverifyAllFilter = {}): Promise<number> {
    if (filter.modelIds !== undefined) {
      assertPositiveIds(filter.modelIds);
      if (filter.modelIds.length === 0) return 0;
    }
    if (filter.state === 'verification_pending') return 0;
    const state = filter.state === undefined ? null : encodeVerificationState(filter.state);
    let affected = 0;
    let cursor = 0;
    for (;;) {
      const step = await mappingPgErrors(`reverify all ${this.table}`, async () => {
        // The cursor follows the scanned batch, not the updated rows, so a row deleted meanwhile
        // cannot end the walk early.
        const result = await this.db.query<{ last_id: string | null; scanned: string; updated: string }>(
          `WITH batch AS (
             SELECT id FROM ${this.table}
             WHERE id > $1 AND verification_state <> ${PENDING}
               AND ($2::bigint[] IS NULL OR ${this.fk} = ANY($2::bigint[]))
               AND ($3::smallint IS NULL OR verification_state = $3::smallint)
             ORDER BY id
             LIMIT $4
           ), updated AS (
             UPDATE ${this.table} AS s SET ${this.pendingSet('s')}
             FROM batch WHERE s.id = batch.id
             RETURNING 1
           )
           SELECT (SELECT max(id) FROM batch) AS last_id, (SELECT count(*) FROM batch) AS scanned, (SELECT count(*) FROM updated) AS updated`,
          [cursor, filter.modelIds ?? null, state, REVERIFY_ALL_BATCH_SIZE],
        );
        const row = result.rows[0];
        return { lastId: row?.last_id == null ? null : toId(row.last_id), scanned: Number(row?.scanned ?? 0), updated: Number(row?.updated ?? 0) };
      });
      affected += step.updated;
      if (step.lastId === null || step.scanned < REVERIFY_ALL_BATCH_SIZE) return affected;
      cursor = step.lastId;
    }
  }
}
