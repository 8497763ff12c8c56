import { encodeSyncState, encodeVerificationState, ValidationError, type RegistryRow, type ReplicableDefinition, type SyncState } from '@geo/domain';
import { hexToBytea } from '../bytea-hex';
import { mappingPgErrors } from '../errors';
import { sqlIdentifier } from '../schema/naming';
import type { SqlExecutor } from '../transaction';
import { fromRegistryDbRow, registryColumns, toId, type RegistryDbRow, type StoredRegistryRow } from './registry-row-mapping';
import { assertPositiveIds } from './assert-ids';

/** The sync failure fields, computed by the domain (`enterSyncFailed`: message, backoff). */
export interface SyncFailure {
  /** At most 255 characters (the column's CHECK rejects longer text). */
  readonly lastSyncFailure: string;
  readonly retryCount: number;
  readonly retryAt: Date | null;
}

/** One completed download for `markSyncedMany`. */
export interface SyncedWrite {
  readonly modelId: number;
  /** The synced row the domain computed (`applySyncEvent`). */
  readonly next: RegistryRow;
  /** The job's attempt token: the row's `last_synced_at` when the job was published. */
  readonly attempt: Date;
}

export interface ClaimSyncBatchOptions {
  /** Maximum rows to claim (the free capacity, e.g. `files_max_capacity` minus in-flight). */
  readonly limit: number;
  /** Clock for `retry_at` due checks and `last_synced_at`; the database's `now()` by default. */
  readonly now?: Date;
}

/**
 * The tracking-DB registry of one replicable type (`<name>_registry`). Port: every method is a
 * single SQL statement, safe with any number of concurrent workers. State transitions are computed
 * by the domain; this only stores them, with compare-and-set where GitLab has one.
 */
export interface RegistryRepository {
  readonly replicable: ReplicableDefinition;
  /** Inserts a `pending` row for each model id without one; returns the model ids actually inserted. */
  insertPending(modelIds: readonly number[]): Promise<number[]>;
  findByModelId(modelId: number): Promise<StoredRegistryRow | undefined>;
  /** The rows of these model ids that exist, ordered by model id. */
  findByModelIds(modelIds: readonly number[]): Promise<StoredRegistryRow[]>;
  /**
   * The existing rows of these ids, locked `FOR UPDATE` in model-id order (so concurrent lockers
   * cannot deadlock). Only meaningful inside a transaction.
   */
  lockByModelIds(modelIds: readonly number[]): Promise<StoredRegistryRow[]>;
  /**
   * Writes the verification and mismatch columns of each row (the domain computed them) in one
   * statement; sync columns stay. The caller holds the rows' locks.
   */
  writeVerificationMany(rows: readonly StoredRegistryRow[]): Promise<void>;
  /**
   * Claims up to `limit` rows needing a download (pending first, then failed rows whose `retry_at`
   * is due, oldest first) and moves them to `started` with `last_synced_at = now`. Rows locked by
   * another claimer are skipped, so concurrent claimers never get the same row.
   */
  claimSyncBatch(options: ClaimSyncBatchOptions): Promise<StoredRegistryRow[]>;
  /**
   * Compare-and-set `started → synced` (GitLab `synced!`): writes `next`, the row the domain computed
   * with `applySyncEvent(row, { event: 'synced', … })` (before_synced and the after_synced
   * verification step), only while the stored row is still `started`. Returns undefined when it was
   * no longer `started` (or is gone): the caller lost the race and must drop its result.
   * With `attempt` (the sync job's lease token, ADR 0004 §5) the row must also still have
   * `last_synced_at = attempt`: a row reset and started again meanwhile belongs to a newer attempt.
   */
  markSynced(modelId: number, next: RegistryRow, attempt?: Date): Promise<StoredRegistryRow | undefined>;
  /**
   * `markSynced` for many rows in one statement (group commit of concurrent downloads). Each item is
   * guarded by its own attempt; the answer has one entry per item, in order, undefined where the
   * compare-and-set did not match.
   */
  markSyncedMany(items: readonly SyncedWrite[]): Promise<Array<StoredRegistryRow | undefined>>;
  /**
   * Moves the row to `failed` with the domain-computed failure fields: from any state without
   * `attempt`; with it only while the row is `started` with `last_synced_at = attempt` (undefined
   * otherwise: the lease was lost and the failure is dropped).
   */
  markFailed(modelId: number, failure: SyncFailure, attempt?: Date): Promise<StoredRegistryRow | undefined>;
  /** Deletes the rows of these model ids; returns how many were deleted. */
  deleteByModelIds(modelIds: readonly number[]): Promise<number>;
}

const STARTED = encodeSyncState('started');
const FAILED = encodeSyncState('failed');
const PENDING = encodeSyncState('pending');

/** The verification columns of a row as SQL values, in the order the UPDATE statements list them. */
function verificationValues(row: RegistryRow): unknown[] {
  return [
    encodeVerificationState(row.verificationState),
    row.verificationStartedAt,
    row.verificationRetryAt,
    row.verificationRetryCount,
    row.verifiedAt,
    hexToBytea(row.verificationChecksum),
    row.verificationFailure,
    row.checksumMismatch,
    hexToBytea(row.verificationChecksumMismatched),
  ];
}

/** The same columns as one JSON record of the `jsonb_to_recordset` writes (checksums stay hex). */
function verificationPayload(row: RegistryRow): Record<string, unknown> {
  return {
    verification_state: encodeVerificationState(row.verificationState),
    verification_started_at: row.verificationStartedAt?.toISOString() ?? null,
    verification_retry_at: row.verificationRetryAt?.toISOString() ?? null,
    verification_retry_count: row.verificationRetryCount,
    verified_at: row.verifiedAt?.toISOString() ?? null,
    // Validated as hex here; decoded to bytea in SQL.
    verification_checksum: validHex(row.verificationChecksum),
    verification_failure: row.verificationFailure,
    checksum_mismatch: row.checksumMismatch,
    verification_checksum_mismatched: validHex(row.verificationChecksumMismatched),
  };
}

/** Column list of `verificationPayload` records in `jsonb_to_recordset(...) AS x(...)`. */
const VERIFICATION_RECORD_COLUMNS = `verification_state smallint, verification_started_at timestamptz, verification_retry_at timestamptz,
         verification_retry_count smallint, verified_at timestamptz, verification_checksum text, verification_failure text,
         checksum_mismatch boolean, verification_checksum_mismatched text`;

/** SET list writing the verification columns from the record `x`. */
const VERIFICATION_FROM_X = `verification_state = x.verification_state,
         verification_started_at = x.verification_started_at, verification_retry_at = x.verification_retry_at,
         verification_retry_count = x.verification_retry_count, verified_at = x.verified_at,
         verification_checksum = decode(x.verification_checksum, 'hex'), verification_failure = x.verification_failure,
         checksum_mismatch = x.checksum_mismatch, verification_checksum_mismatched = decode(x.verification_checksum_mismatched, 'hex')`;

/** The hex string itself after `hexToBytea` accepted it (for SQL that decodes it). */
function validHex(hex: string | null): string | null {
  if (hex !== null) hexToBytea(hex);
  return hex;
}

/** An attempt token is a real instant; an invalid Date would serialise as "Invalid Date" and fail in SQL. */
function assertAttempt(attempt: Date | undefined): void {
  if (attempt !== undefined && !Number.isFinite(attempt.getTime())) throw new ValidationError('attempt must be a valid date');
}

/** PostgreSQL implementation, generated from the definition's table and foreign-key names. */
export class PgRegistryRepository implements RegistryRepository {
  private readonly table: string;
  private readonly fk: string;
  private readonly columns: string;

  constructor(
    private readonly db: SqlExecutor,
    readonly replicable: ReplicableDefinition,
  ) {
    this.table = sqlIdentifier(replicable.registryTable);
    this.fk = sqlIdentifier(replicable.modelForeignKey);
    this.columns = registryColumns(this.fk);
  }

  private async rows(context: string, sql: string, values: unknown[]): Promise<StoredRegistryRow[]> {
    return mappingPgErrors(`${context} ${this.table}`, async () => {
      const result = await this.db.query<RegistryDbRow>(sql, values);
      return result.rows.map(fromRegistryDbRow);
    });
  }

  async insertPending(modelIds: readonly number[]): Promise<number[]> {
    assertPositiveIds(modelIds);
    if (modelIds.length === 0) return [];
    return mappingPgErrors(`insert ${this.table}`, async () => {
      const result = await this.db.query<{ model_id: string }>(
        `INSERT INTO ${this.table} (${this.fk}, created_at, state)
         SELECT DISTINCT id, now(), ${PENDING} FROM unnest($1::bigint[]) AS ids(id)
         ON CONFLICT (${this.fk}) DO NOTHING
         RETURNING ${this.fk} AS model_id`,
        [modelIds],
      );
      return result.rows.map((r) => toId(r.model_id)).sort((a, b) => a - b);
    });
  }

  async findByModelId(modelId: number): Promise<StoredRegistryRow | undefined> {
    const rows = await this.rows('select', `SELECT ${this.columns} FROM ${this.table} WHERE ${this.fk} = $1`, [modelId]);
    return rows[0];
  }

  async claimSyncBatch(options: ClaimSyncBatchOptions): Promise<StoredRegistryRow[]> {
    if (!Number.isInteger(options.limit) || options.limit < 0) {
      throw new ValidationError(`claim limit must be a non-negative integer, got ${options.limit}`);
    }
    if (options.limit === 0) return [];
    const rows = await this.rows(
      'claim',
      // Millisecond precision: `last_synced_at` is the attempt token of the sync job (ADR 0004 §5)
      // and must survive a round trip through a JS Date exactly.
      `WITH clock AS (SELECT date_trunc('milliseconds', COALESCE($2::timestamptz, now())) AS now)
       UPDATE ${this.table} SET state = ${STARTED}, last_synced_at = (SELECT now FROM clock)
       WHERE id IN (
         SELECT id FROM ${this.table}
         WHERE state = ${PENDING}
            OR (state = ${FAILED} AND (retry_at IS NULL OR retry_at < (SELECT now FROM clock)))
         ORDER BY state, retry_at NULLS FIRST, id
         LIMIT $1
         FOR UPDATE SKIP LOCKED
       )
       RETURNING ${this.columns}`,
      [options.limit, options.now ?? null],
    );
    // RETURNING order is unspecified (and every claimed row is `started` now); make it stable.
    return rows.sort((a, b) => a.id - b.id);
  }

  async findByModelIds(modelIds: readonly number[]): Promise<StoredRegistryRow[]> {
    assertPositiveIds(modelIds);
    if (modelIds.length === 0) return [];
    return this.rows('select', `SELECT ${this.columns} FROM ${this.table} WHERE ${this.fk} = ANY($1::bigint[]) ORDER BY ${this.fk}`, [modelIds]);
  }

  async lockByModelIds(modelIds: readonly number[]): Promise<StoredRegistryRow[]> {
    assertPositiveIds(modelIds);
    if (modelIds.length === 0) return [];
    return this.rows('lock', `SELECT ${this.columns} FROM ${this.table} WHERE ${this.fk} = ANY($1::bigint[]) ORDER BY ${this.fk} FOR UPDATE`, [modelIds]);
  }

  async writeVerificationMany(rows: readonly StoredRegistryRow[]): Promise<void> {
    if (rows.length === 0) return;
    assertPositiveIds(rows.map((r) => r.modelId));
    const payload = rows.map((row) => ({ model_id: row.modelId, ...verificationPayload(row) }));
    await mappingPgErrors(`update ${this.table}`, () =>
      this.db.query(
        `UPDATE ${this.table} AS t SET ${VERIFICATION_FROM_X}
         FROM jsonb_to_recordset($1::jsonb) AS x(model_id bigint, ${VERIFICATION_RECORD_COLUMNS})
         WHERE t.${this.fk} = x.model_id`,
        [JSON.stringify(payload)],
      ),
    );
  }

  async markSynced(modelId: number, next: RegistryRow, attempt?: Date): Promise<StoredRegistryRow | undefined> {
    if (next.state !== 'synced') throw new ValidationError(`markSynced needs a synced row, got state ${next.state}`);
    return this.writeRow(modelId, next, 'started', attempt);
  }

  async markSyncedMany(items: readonly SyncedWrite[]): Promise<Array<StoredRegistryRow | undefined>> {
    if (items.length === 0) return [];
    assertPositiveIds(items.map((i) => i.modelId));
    for (const item of items) {
      if (item.next.state !== 'synced') throw new ValidationError(`markSyncedMany needs synced rows, got state ${item.next.state}`);
      assertAttempt(item.attempt);
    }
    const payload = items.map(({ modelId, next, attempt }) => ({
      model_id: modelId,
      attempt: attempt.toISOString(),
      state: encodeSyncState(next.state),
      retry_count: next.retryCount,
      retry_at: next.retryAt?.toISOString() ?? null,
      last_synced_at: next.lastSyncedAt?.toISOString() ?? null,
      last_sync_failure: next.lastSyncFailure,
      ...verificationPayload(next),
    }));
    const rows = await this.rows(
      'update many',
      `UPDATE ${this.table} AS t SET
         state = x.state, retry_count = x.retry_count, retry_at = x.retry_at, last_synced_at = x.last_synced_at,
         last_sync_failure = x.last_sync_failure, ${VERIFICATION_FROM_X}
       FROM jsonb_to_recordset($1::jsonb) AS x(model_id bigint, attempt timestamptz, state smallint, retry_count smallint,
         retry_at timestamptz, last_synced_at timestamptz, last_sync_failure text, ${VERIFICATION_RECORD_COLUMNS})
       WHERE t.${this.fk} = x.model_id AND t.state = ${STARTED} AND t.last_synced_at = x.attempt
       RETURNING ${this.columns.split(', ').map((c) => `t.${c}`).join(', ')}`,
      [JSON.stringify(payload)],
    );
    const byModel = new Map(rows.map((r) => [r.modelId, r]));
    return items.map((i) => byModel.get(i.modelId));
  }

  async markFailed(modelId: number, failure: SyncFailure, attempt?: Date): Promise<StoredRegistryRow | undefined> {
    assertAttempt(attempt);
    const rows = await this.rows(
      'mark failed',
      `UPDATE ${this.table}
       SET state = ${FAILED}, last_sync_failure = $2, retry_count = $3, retry_at = $4
       WHERE ${this.fk} = $1${attempt === undefined ? '' : ` AND state = ${STARTED} AND last_synced_at = $5`}
       RETURNING ${this.columns}`,
      attempt === undefined
        ? [modelId, failure.lastSyncFailure, failure.retryCount, failure.retryAt]
        : [modelId, failure.lastSyncFailure, failure.retryCount, failure.retryAt, attempt],
    );
    return rows[0];
  }

  async deleteByModelIds(modelIds: readonly number[]): Promise<number> {
    assertPositiveIds(modelIds);
    if (modelIds.length === 0) return 0;
    return mappingPgErrors(`delete ${this.table}`, async () => {
      const result = await this.db.query(`DELETE FROM ${this.table} WHERE ${this.fk} = ANY($1::bigint[])`, [modelIds]);
      return result.rowCount ?? 0;
    });
  }

  /** Writes every mutable column of `row`, only while the stored state is `expected` (and `last_synced_at = attempt`). */
  private async writeRow(modelId: number, row: RegistryRow, expected: SyncState, attempt?: Date): Promise<StoredRegistryRow | undefined> {
    assertAttempt(attempt);
    const rows = await this.rows(
      'update',
      `UPDATE ${this.table} SET
         state = $2, retry_count = $3, retry_at = $4, last_synced_at = $5, last_sync_failure = $6,
         verification_state = $7, verification_started_at = $8, verification_retry_at = $9,
         verification_retry_count = $10, verified_at = $11, verification_checksum = $12,
         verification_failure = $13, checksum_mismatch = $14, verification_checksum_mismatched = $15
       WHERE ${this.fk} = $1 AND state = $16 AND ($17::timestamptz IS NULL OR last_synced_at = $17)
       RETURNING ${this.columns}`,
      [
        modelId,
        encodeSyncState(row.state),
        row.retryCount,
        row.retryAt,
        row.lastSyncedAt,
        row.lastSyncFailure,
        ...verificationValues(row),
        encodeSyncState(expected),
        attempt ?? null,
      ],
    );
    return rows[0];
  }
}
