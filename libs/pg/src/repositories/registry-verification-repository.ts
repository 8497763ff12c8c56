import {
  decodeSyncState,
  decodeVerificationState,
  encodeSyncState,
  encodeVerificationState,
  ValidationError,
  type FileStore,
  type RegistryRow,
  type ReplicableDefinition,
  type SyncState,
  type VerificationState,
  type VerificationTimeoutValues,
} from '@geo/domain';
import { hexToBytea } from '../bytea-hex';
import { mappingPgErrors } from '../errors';
import { sqlIdentifier } from '../schema/naming';
import type { SqlExecutor } from '../transaction';
import { fromRegistryDbRow, registryColumns, toId, type RegistryDbRow, type StoredRegistryRow } from './registry-row-mapping';
import { DEFAULT_TIMEOUT_BATCH_SIZE } from './registry-sweep-repository';

/** Where this secondary keeps a claimed registry's blob: its `geo_replicable_records` row. */
export interface RegistryBlob {
  /** Relative key in this site's blob store (the primary's key: copies are installed at the same key). */
  readonly key: string;
  /** Size in bytes the primary's catalogue reported. */
  readonly size: number;
  /** Where the primary keeps it. */
  readonly fileStore: FileStore;
}

/**
 * A synced registry row this worker claimed for verification: now `verification_started`, with
 * `row.verificationStartedAt` (millisecond precision) as the claim's token. Only a result or a
 * release carrying that token is written.
 */
export interface RegistryVerificationClaim {
  readonly row: StoredRegistryRow;
  /** Null when the row has no `geo_replicable_records` row (this site does not know where its blob is). */
  readonly blob: RegistryBlob | null;
  /** What `release` restores: the verification state and start time the row had before the claim. */
  readonly previous: {
    readonly verificationState: VerificationState;
    readonly verificationStartedAt: Date | null;
  };
}

/**
 * The outcome of one claim, computed by the domain (`beginRegistryVerification`,
 * `applyRegistryChecksumResult`, `applyRegistryVerificationEvent`): `next` is
 * `verification_succeeded`, `verification_failed` (then also sync `failed`, spec §3.3) or
 * `verification_disabled` (the primary had no succeeded checksum).
 */
export interface RegistryVerificationResult {
  readonly claim: RegistryVerificationClaim;
  readonly next: RegistryRow;
}

/** A result that was written (its claim was still current and the row still synced). */
export interface RecordedRegistryVerification {
  readonly registryId: number;
  readonly modelId: number;
  readonly verificationState: VerificationState;
  /** The sync state after the write: `failed` when the verification failure forced a resync. */
  readonly state: SyncState;
  readonly checksumMismatch: boolean;
  /** The claim token the result was written under (tells two claims of one row apart). */
  readonly verificationStartedAt: Date;
}

/**
 * Secondary verification over the registry table of one replicable type (spec §3.6, DESIGN §4
 * flow 6): the registry is the queue, and only `synced` rows are verified (GitLab's
 * `available_verifiables` on a registry). Every method is one SQL statement (the timeout sweep one
 * per batch), safe with any number of concurrent workers in any number of processes.
 *
 * Every write after the claim is a compare-and-set on the claim (`verification_started` with the
 * same `verification_started_at`), and results also on `state = synced`: a row reset meanwhile
 * (REVERIFY, a `checksum_succeeded` event, a resync or a new download) keeps what the resetter
 * wrote, and a deleted row simply matches nothing.
 */
export interface RegistryVerificationRepository {
  readonly replicable: ReplicableDefinition;
  /**
   * Claims up to `limit` synced rows (GitLab `verify_batch` on a registry): verification-pending
   * rows first, never-verified first then oldest `verified_at`; then verification-failed rows whose
   * `verification_retry_at` is NULL or due, earliest first. Claimed rows become
   * `verification_started` with `verification_started_at = now` in the same statement
   * (`FOR UPDATE SKIP LOCKED`), so concurrent claimers never share a row. Ascending registry id.
   */
  claimBatch(limit: number): Promise<RegistryVerificationClaim[]>;
  /** Synced rows needing verification (pending, or failed and due), counted up to `limit` (spec §3.8). */
  needsVerificationCount(limit: number): Promise<number>;
  /**
   * Writes the domain-computed rows in one statement: the verification and mismatch columns, and
   * the sync columns a verification failure changes (`state`, `retry_count`, `retry_at`,
   * `last_sync_failure`; never `last_synced_at`). Each only while its row is still synced and
   * claimed by the same claim. Returns the results written, by ascending registry id.
   */
  recordResults(results: readonly RegistryVerificationResult[], db?: SqlExecutor): Promise<RecordedRegistryVerification[]>;
  /**
   * Gives claims back unverified (the primary could not be asked, the checksummer could not run):
   * each row still claimed by the same claim gets its previous verification state and start time
   * back, so it is claimed again later with its retry fields untouched. Returns how many were released.
   */
  release(claims: readonly RegistryVerificationClaim[]): Promise<number>;
  /**
   * Timeout sweep (GitLab's bulk `update_all`, no callbacks, so no resync): rows
   * `verification_started` before `startedBefore` get the domain's timeout values, `batchSize`
   * rows per statement until none is left; rows locked by a concurrent writer wait for the next sweep.
   */
  failTimedOut(startedBefore: Date, values: VerificationTimeoutValues, batchSize?: number): Promise<number>;
}

const SYNCED = encodeSyncState('synced');
const V_PENDING = encodeVerificationState('verification_pending');
const V_STARTED = encodeVerificationState('verification_started');
const V_FAILED = encodeVerificationState('verification_failed');
/** `geo_replicable_records.file_store` value of an object-stored blob (GitLab `ObjectStorage::Store::REMOTE`). */
const FILE_STORE_REMOTE = 2;

/** What a result may leave a claimed row in. */
const RESULT_STATES: readonly VerificationState[] = ['verification_succeeded', 'verification_failed', 'verification_disabled'];

interface ClaimDbRow extends RegistryDbRow {
  previous_verification_state: number;
  previous_verification_started_at: Date | null;
  blob_key: string | null;
  blob_size: string | null;
  file_store: number | null;
}

function fromClaimDbRow(row: ClaimDbRow): RegistryVerificationClaim {
  return {
    row: fromRegistryDbRow(row),
    blob:
      row.blob_key === null
        ? null
        : { key: row.blob_key, size: Number(row.blob_size ?? 0), fileStore: row.file_store === FILE_STORE_REMOTE ? 'remote' : 'local' },
    previous: { verificationState: decodeVerificationState(row.previous_verification_state), verificationStartedAt: row.previous_verification_started_at },
  };
}

/** The hex string itself once `hexToBytea` accepted it (SQL decodes it). */
function validHex(hex: string | null): string | null {
  if (hex !== null) hexToBytea(hex);
  return hex;
}

function assertLimit(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) throw new ValidationError(`${name} must be a non-negative integer, got ${value}`);
}

/** A claim's token; a claim without one was not made by `claimBatch`. */
function tokenOf(claim: RegistryVerificationClaim): Date {
  const token = claim.row.verificationStartedAt;
  if (claim.row.verificationState !== 'verification_started' || token === null) {
    throw new ValidationError(`registry row ${claim.row.id} is not a claim (verification_state ${claim.row.verificationState})`);
  }
  return token;
}

/** PostgreSQL implementation; table and column names come from the definition. */
export class PgRegistryVerificationRepository implements RegistryVerificationRepository {
  private readonly table: string;
  private readonly fk: string;
  /** The registry columns in `RegistryDbRow` names, qualified with `r.`. */
  private readonly columns: string;

  constructor(
    private readonly db: SqlExecutor,
    readonly replicable: ReplicableDefinition,
  ) {
    this.table = sqlIdentifier(replicable.registryTable);
    this.fk = sqlIdentifier(replicable.modelForeignKey);
    this.columns = registryColumns(this.fk)
      .split(', ')
      .map((column) => `r.${column}`)
      .join(', ');
  }

  async claimBatch(limit: number): Promise<RegistryVerificationClaim[]> {
    assertLimit('claim limit', limit);
    if (limit === 0) return [];
    return mappingPgErrors(`claim verification ${this.table}`, async () => {
      // Two locked candidate sets, each following its partial index (`*_pending_verification` by
      // verified_at, `*_failed_verification` by verification_retry_at); the failed set only fills
      // what the pending set left. The update looks the ids up by primary key (`= ANY (ARRAY(…))`:
      // a join with the CTE can plan as a sequential scan of the whole table). The candidates keep
      // each row's state before the claim, for `release`. The token is cut to milliseconds so it
      // survives the round trip through a JS Date exactly.
      const result = await this.db.query<ClaimDbRow>(
        `WITH pending AS (
           SELECT id, verification_state, verification_started_at FROM ${this.table}
           WHERE state = ${SYNCED} AND verification_state = ${V_PENDING}
           ORDER BY verified_at ASC NULLS FIRST
           LIMIT $1
           FOR UPDATE SKIP LOCKED
         ), failed AS (
           SELECT id, verification_state, verification_started_at FROM ${this.table}
           WHERE state = ${SYNCED} AND verification_state = ${V_FAILED}
             AND (verification_retry_at IS NULL OR verification_retry_at <= now())
           ORDER BY verification_retry_at ASC NULLS FIRST
           LIMIT GREATEST($1 - (SELECT count(*) FROM pending), 0)
           FOR UPDATE SKIP LOCKED
         ), candidates AS (
           SELECT * FROM pending UNION ALL SELECT * FROM failed
         ), claimed AS (
           UPDATE ${this.table} AS r
           SET verification_state = ${V_STARTED}, verification_started_at = date_trunc('milliseconds', now())
           WHERE r.id = ANY (ARRAY(SELECT id FROM candidates))
           RETURNING ${this.columns}
         )
         SELECT c.*, p.verification_state AS previous_verification_state, p.verification_started_at AS previous_verification_started_at,
                g.blob_key, g.size AS blob_size, g.file_store
         FROM claimed c
         JOIN candidates p ON p.id = c.id
         LEFT JOIN geo_replicable_records g ON g.replicable_name = $2 AND g.model_record_id = c.model_id
         ORDER BY c.id`,
        [limit, this.replicable.name],
      );
      return result.rows.map(fromClaimDbRow);
    });
  }

  async needsVerificationCount(limit: number): Promise<number> {
    assertLimit('count limit', limit);
    if (limit === 0) return 0;
    return mappingPgErrors(`count verification ${this.table}`, async () => {
      // The `*_needs_verification` partial index covers exactly these rows.
      const result = await this.db.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM (
           SELECT 1 FROM ${this.table}
           WHERE state = ${SYNCED} AND verification_state IN (${V_PENDING}, ${V_FAILED})
             AND (verification_state = ${V_PENDING} OR verification_retry_at IS NULL OR verification_retry_at <= now())
           LIMIT $1
         ) AS needing`,
        [limit],
      );
      return result.rows[0]?.count ?? 0;
    });
  }

  async recordResults(results: readonly RegistryVerificationResult[], db: SqlExecutor = this.db): Promise<RecordedRegistryVerification[]> {
    if (results.length === 0) return [];
    const tokens = results.map(({ claim, next }) => {
      if (!RESULT_STATES.includes(next.verificationState)) {
        throw new ValidationError(`a registry verification result must be succeeded, failed or disabled, got ${next.verificationState}`);
      }
      return tokenOf(claim);
    });
    // One JSON parameter rather than fifteen arrays: the rows travel as one string the server
    // parses, instead of fifteen array literals built value by value on the client.
    const payload = results.map(({ claim, next }, i) => ({
      id: claim.row.id,
      claimed_started_at: (tokens[i] as Date).toISOString(),
      state: encodeSyncState(next.state),
      retry_count: next.retryCount,
      retry_at: next.retryAt?.toISOString() ?? null,
      last_sync_failure: next.lastSyncFailure,
      verification_state: encodeVerificationState(next.verificationState),
      verification_started_at: next.verificationStartedAt?.toISOString() ?? null,
      verification_retry_at: next.verificationRetryAt?.toISOString() ?? null,
      verification_retry_count: next.verificationRetryCount,
      verified_at: next.verifiedAt?.toISOString() ?? null,
      verification_checksum: validHex(next.verificationChecksum),
      verification_failure: next.verificationFailure,
      checksum_mismatch: next.checksumMismatch,
      verification_checksum_mismatched: validHex(next.verificationChecksumMismatched),
    }));
    return mappingPgErrors(`record verification ${this.table}`, async () => {
      // RETURNING only what the answer needs (the caller has the rows it wrote): parsing six
      // timestamps per row back is a real share of a busy worker's event loop.
      const result = await db.query<{ id: string; model_id: string; state: number; verification_state: number; checksum_mismatch: boolean; claimed_started_at: Date }>(
        `UPDATE ${this.table} AS r SET
           state = v.state, retry_count = v.retry_count, retry_at = v.retry_at, last_sync_failure = v.last_sync_failure,
           verification_state = v.verification_state, verification_started_at = v.verification_started_at,
           verification_retry_at = v.verification_retry_at, verification_retry_count = v.verification_retry_count,
           verified_at = v.verified_at, verification_checksum = decode(v.verification_checksum, 'hex'), verification_failure = v.verification_failure,
           checksum_mismatch = v.checksum_mismatch, verification_checksum_mismatched = decode(v.verification_checksum_mismatched, 'hex')
         FROM jsonb_to_recordset($1::jsonb) AS v(
           id bigint, claimed_started_at timestamptz, state smallint, retry_count smallint, retry_at timestamptz, last_sync_failure text,
           verification_state smallint, verification_started_at timestamptz, verification_retry_at timestamptz, verification_retry_count smallint,
           verified_at timestamptz, verification_checksum text, verification_failure text, checksum_mismatch boolean, verification_checksum_mismatched text)
         WHERE r.id = v.id AND r.state = ${SYNCED}
           AND r.verification_state = ${V_STARTED} AND r.verification_started_at = v.claimed_started_at
         RETURNING r.id, r.${this.fk} AS model_id, r.state, r.verification_state, r.checksum_mismatch, v.claimed_started_at`,
        [JSON.stringify(payload)],
      );
      return result.rows
        .map((row) => ({
          registryId: toId(row.id),
          modelId: toId(row.model_id),
          verificationState: decodeVerificationState(row.verification_state),
          state: decodeSyncState(row.state),
          checksumMismatch: row.checksum_mismatch,
          // Which claim matched (a row claimed twice may meet both results in one bulk call).
          verificationStartedAt: row.claimed_started_at,
        }))
        .sort((a, b) => a.registryId - b.registryId);
    });
  }

  async release(claims: readonly RegistryVerificationClaim[]): Promise<number> {
    if (claims.length === 0) return 0;
    const tokens = claims.map(tokenOf);
    return mappingPgErrors(`release verification ${this.table}`, async () => {
      const result = await this.db.query(
        `UPDATE ${this.table} AS r
         SET verification_state = v.previous_state, verification_started_at = v.previous_started_at
         FROM unnest($1::bigint[], $2::timestamptz[], $3::smallint[], $4::timestamptz[]) AS v(id, claimed_started_at, previous_state, previous_started_at)
         WHERE r.id = v.id AND r.verification_state = ${V_STARTED} AND r.verification_started_at = v.claimed_started_at`,
        [
          claims.map((c) => c.row.id),
          tokens,
          claims.map((c) => encodeVerificationState(c.previous.verificationState)),
          claims.map((c) => c.previous.verificationStartedAt),
        ],
      );
      return result.rowCount ?? 0;
    });
  }

  async failTimedOut(startedBefore: Date, values: VerificationTimeoutValues, batchSize: number = DEFAULT_TIMEOUT_BATCH_SIZE): Promise<number> {
    if (!Number.isSafeInteger(batchSize) || batchSize <= 0) throw new ValidationError(`batchSize must be a positive integer, got ${batchSize}`);
    let total = 0;
    for (;;) {
      const updated = await mappingPgErrors(`time out verification ${this.table}`, async () => {
        // One retry time for the whole sweep, like GitLab's `update_all`; only the columns it sets
        // (the mismatch record and the sync state stay). The outer WHERE re-checks the locked row.
        const result = await this.db.query(
          `WITH batch AS (
             SELECT id FROM ${this.table}
             WHERE verification_state = ${V_STARTED} AND verification_started_at < $1
             ORDER BY id
             LIMIT $2
             FOR UPDATE SKIP LOCKED
           )
           UPDATE ${this.table} AS r SET
             verification_state = $3, verification_failure = $4, verification_checksum = NULL,
             verification_retry_count = $5, verification_retry_at = $6, verified_at = $7
           FROM batch
           WHERE r.id = batch.id AND r.verification_state = ${V_STARTED}`,
          [
            startedBefore,
            batchSize,
            encodeVerificationState(values.verificationState),
            values.verificationFailure,
            values.verificationRetryCount,
            values.verificationRetryAt,
            values.verifiedAt,
          ],
        );
        return result.rowCount ?? 0;
      });
      total += updated;
      if (updated < batchSize) return total;
    }
  }
}
