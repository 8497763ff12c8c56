import { encodeSyncState, encodeVerificationState, type ReplicableDefinition } from '@geo/domain';
import { mappingPgErrors, sqlIdentifier } from '@geo/pg';
import type { Pool } from 'pg';
import { FileStores, type SymbolRecord } from '../domain/model';
import type { SymbolLookupKey } from '../domain/symbol-query';
import type { SymbolIndex } from '../ports';
import { requiredId, toId } from './sql-values';

interface ReplicaSymbolRow {
  model_record_id: string;
  blob_key: string;
  size: string;
  file_store: number;
  project_id: string | null;
  attributes: Record<string, string | undefined>;
  created_at: Date;
}

const SYNCED = encodeSyncState('synced');
const VERIFICATION_FAILED = encodeVerificationState('verification_failed');

/**
 * The symbol server's reads on a SECONDARY (ADR 0004 §1): the catalogue records this site keeps in
 * `geo_replicable_records`, joined to the registry so only copies that are synced and whose
 * verification has not failed are served. Anything else is "not here": the gateway then proxies the
 * request to the primary, which gives the authoritative answer (including 404).
 */
export class ReplicaSymbolIndex implements SymbolIndex {
  private readonly registryTable: string;
  private readonly fk: string;

  constructor(
    private readonly pool: Pool,
    private readonly replicable: ReplicableDefinition,
  ) {
    this.registryTable = sqlIdentifier(replicable.registryTable);
    this.fk = sqlIdentifier(replicable.modelForeignKey);
  }

  /**
   * A secondary has no `projects` table; whether the project exists is the primary's answer, which a
   * miss here leads to. So every project "may exist" locally.
   */
  async projectExists(): Promise<boolean> {
    return true;
  }

  findSymbol(key: SymbolLookupKey): Promise<SymbolRecord | null> {
    return mappingPgErrors('find geo_replicable_records', async () => {
      // Same match as the primary's query (case-insensitive signature and file, any checksum, lowest id).
      const result = await this.pool.query<ReplicaSymbolRow>(
        `SELECT r.model_record_id, r.blob_key, r.size, r.file_store, r.project_id, r.attributes, r.created_at
         FROM geo_replicable_records r
         JOIN ${this.registryTable} g ON g.${this.fk} = r.model_record_id
         WHERE r.replicable_name = $1
           AND lower(r.attributes->>'signature') = lower($2)
           AND lower(r.attributes->>'file') = lower($3)
           AND lower(r.attributes->>'file_sha256') = ANY($4::text[])
           AND g.state = ${SYNCED} AND g.verification_state <> ${VERIFICATION_FAILED}
         ORDER BY r.model_record_id LIMIT 1`,
        [this.replicable.name, key.signature, key.fileName, key.checksums.map((hex) => hex.toLowerCase())],
      );
      const row = result.rows[0];
      return row === undefined ? null : fromReplicaRow(row);
    });
  }
}

function fromReplicaRow(row: ReplicaSymbolRow): SymbolRecord {
  const attr = (name: string): string => row.attributes[name] ?? '';
  return {
    id: toId(row.model_record_id, 'geo_replicable_records.model_record_id'),
    createdAt: row.created_at,
    projectId: requiredId(row.project_id, 'geo_replicable_records.project_id'),
    packageId: requiredId(row.attributes['package_id'] ?? null, 'geo_replicable_records.attributes.package_id'),
    file: attr('file'),
    filePath: attr('file_path'),
    signature: attr('signature'),
    size: toId(row.size, 'geo_replicable_records.size'),
    fileSha256: attr('file_sha256'),
    fileStore: row.file_store === FileStores.remote ? FileStores.remote : FileStores.local,
    objectStorageKey: row.blob_key,
  };
}
