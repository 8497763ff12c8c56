import { decodeVerificationState, encodeVerificationState, type ReplicableRecord } from '@geo/domain';
import { byteaToHex, hexToBytea } from '../bytea-hex';
import { mappingPgErrors } from '../errors';
import type { SqlExecutor } from '../transaction';
import { toId } from './registry-row-mapping';
import { assertPositiveIds } from './assert-ids';

/** The primary's checksum of one record, as a secondary learns it. */
export interface PrimaryChecksumWrite {
  readonly modelRecordId: number;
  /** SHA-256, hex. */
  readonly checksum: string;
  readonly verifiedAt: Date | null;
}

interface RecordDbRow {
  replicable_name: string;
  model_record_id: string;
  blob_key: string;
  size: string;
  file_store: number;
  project_id: string | null;
  primary_verification_state: number;
  primary_checksum: Buffer | null;
  primary_verified_at: Date | null;
  attributes: Record<string, string>;
  created_at: Date;
}

const COLUMNS = `replicable_name, model_record_id, blob_key, size, file_store, project_id, primary_verification_state,
  primary_checksum, primary_verified_at, attributes, created_at`;

function fromDb(row: RecordDbRow): ReplicableRecord {
  return {
    replicableName: row.replicable_name,
    modelRecordId: toId(row.model_record_id),
    blobKey: row.blob_key,
    size: toId(row.size),
    fileStore: row.file_store === 2 ? 'remote' : 'local',
    projectId: row.project_id === null ? null : toId(row.project_id),
    primaryVerificationState: decodeVerificationState(row.primary_verification_state),
    primaryChecksum: byteaToHex(row.primary_checksum),
    primaryVerifiedAt: row.primary_verified_at,
    attributes: row.attributes,
    createdAt: row.created_at,
  };
}

/**
 * A secondary's `geo_replicable_records` (ADR 0004): the primary catalogue's description of each
 * tracked record. Written in the same transaction as the registry row it describes, deleted with
 * it. Every method is one statement.
 */
export class PgReplicableRecordRepository {
  constructor(private readonly db: SqlExecutor) {}

  /** Inserts or refreshes records (one statement for the whole batch); returns how many were written. */
  async upsert(records: readonly ReplicableRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    assertPositiveIds(records.map((r) => r.modelRecordId), 'model record ids');
    // Validates each checksum as hex before SQL decodes it.
    for (const r of records) hexToBytea(r.primaryChecksum);
    return mappingPgErrors('upsert geo_replicable_records', async () => {
      const result = await this.db.query(
        `INSERT INTO geo_replicable_records AS r (${COLUMNS}, updated_at)
         SELECT x.replicable_name, x.model_record_id, x.blob_key, x.size, x.file_store, x.project_id,
                x.primary_verification_state, decode(NULLIF(x.primary_checksum, ''), 'hex'), x.primary_verified_at,
                x.attributes, x.created_at, now()
         FROM jsonb_to_recordset($1::jsonb) AS x(replicable_name text, model_record_id bigint, blob_key text, size bigint,
           file_store smallint, project_id bigint, primary_verification_state smallint, primary_checksum text,
           primary_verified_at timestamptz, attributes jsonb, created_at timestamptz)
         ON CONFLICT (replicable_name, model_record_id) DO UPDATE SET
           blob_key = EXCLUDED.blob_key, size = EXCLUDED.size, file_store = EXCLUDED.file_store,
           project_id = EXCLUDED.project_id, primary_verification_state = EXCLUDED.primary_verification_state,
           primary_checksum = EXCLUDED.primary_checksum, primary_verified_at = EXCLUDED.primary_verified_at,
           attributes = EXCLUDED.attributes, updated_at = now()`,
        [
          JSON.stringify(
            records.map((r) => ({
              replicable_name: r.replicableName,
              model_record_id: r.modelRecordId,
              blob_key: r.blobKey,
              size: r.size,
              file_store: r.fileStore === 'remote' ? 2 : 1,
              project_id: r.projectId,
              primary_verification_state: encodeVerificationState(r.primaryVerificationState),
              primary_checksum: r.primaryChecksum ?? '',
              primary_verified_at: r.primaryVerifiedAt,
              attributes: r.attributes,
              created_at: r.createdAt,
            })),
          ),
        ],
      );
      return result.rowCount ?? 0;
    });
  }

  async findByModelIds(replicableName: string, modelIds: readonly number[]): Promise<ReplicableRecord[]> {
    assertPositiveIds(modelIds, 'model record ids');
    if (modelIds.length === 0) return [];
    return mappingPgErrors('select geo_replicable_records', async () => {
      const result = await this.db.query<RecordDbRow>(
        `SELECT ${COLUMNS} FROM geo_replicable_records WHERE replicable_name = $1 AND model_record_id = ANY($2::bigint[])
         ORDER BY model_record_id`,
        [replicableName, modelIds],
      );
      return result.rows.map(fromDb);
    });
  }

  /** Records the primary checksum once its verification succeeded (`checksum_succeeded` events, issue 5). */
  async setPrimaryChecksum(replicableName: string, modelRecordId: number, checksum: string, verifiedAt: Date | null): Promise<boolean> {
    return (await this.setPrimaryChecksums(replicableName, [{ modelRecordId, checksum, verifiedAt }])) > 0;
  }

  /** `setPrimaryChecksum` for many records in one statement; returns how many records exist and were updated. */
  async setPrimaryChecksums(replicableName: string, items: readonly PrimaryChecksumWrite[]): Promise<number> {
    if (items.length === 0) return 0;
    assertPositiveIds(items.map((i) => i.modelRecordId), 'model record ids');
    // Validated as hex here; decoded to bytea in SQL.
    for (const i of items) hexToBytea(i.checksum);
    const payload = items.map((i) => ({ model_record_id: i.modelRecordId, checksum: i.checksum, verified_at: i.verifiedAt?.toISOString() ?? null }));
    return mappingPgErrors('update geo_replicable_records', async () => {
      const result = await this.db.query(
        `UPDATE geo_replicable_records AS r
         SET primary_checksum = decode(x.checksum, 'hex'), primary_verification_state = $2, primary_verified_at = x.verified_at, updated_at = now()
         FROM jsonb_to_recordset($3::jsonb) AS x(model_record_id bigint, checksum text, verified_at timestamptz)
         WHERE r.replicable_name = $1 AND r.model_record_id = x.model_record_id`,
        [replicableName, encodeVerificationState('verification_succeeded'), JSON.stringify(payload)],
      );
      return result.rowCount ?? 0;
    });
  }

  /** Deletes the records of these ids; returns the deleted ones (their blob keys locate the blobs to remove). */
  async deleteByModelIds(replicableName: string, modelIds: readonly number[]): Promise<ReplicableRecord[]> {
    assertPositiveIds(modelIds, 'model record ids');
    if (modelIds.length === 0) return [];
    return mappingPgErrors('delete geo_replicable_records', async () => {
      const result = await this.db.query<RecordDbRow>(
        `DELETE FROM geo_replicable_records WHERE replicable_name = $1 AND model_record_id = ANY($2::bigint[]) RETURNING ${COLUMNS}`,
        [replicableName, modelIds],
      );
      return result.rows.map(fromDb).sort((a, b) => a.modelRecordId - b.modelRecordId);
    });
  }
}
