import {
  decodeVerificationState,
  encodeVerificationState,
  ValidationError,
  type ReplicableDefinition,
  type ReplicableRecord,
  type ReplicationScope,
  type SiteSettings,
} from '@geo/domain';
import { byteaToHex } from '../bytea-hex';
import { mappingPgErrors } from '../errors';
import { sqlIdentifier } from '../schema/naming';
import type { SqlExecutor } from '../transaction';
import { toId } from './registry-row-mapping';
import { assertPositiveIds } from './assert-ids';

/** A site as the primary's catalogue authenticates it: its settings plus the HS256 key of its JWTs. */
export type CatalogSite = SiteSettings & {
  /** `geo_sites.secret_access_key`. Never log it, never send it. */
  readonly secret: string;
};

/**
 * The primary's catalogue of replicable records as secondaries see it (ADR 0004 §2): who is
 * calling, and which records are in that caller's scope. `PgReplicableCatalogRepository` is the
 * PostgreSQL implementation; services depend on this port (or a `Pick` of it).
 */
export interface ReplicableCatalog {
  /** The site with this access key (enabled or not), or undefined when none has it or it has no secret. */
  findSiteByAccessKey(accessKey: string): Promise<CatalogSite | undefined>;
  /** Records with `idFrom <= id <= idTo` in `scope`, ascending id, read page by page. */
  listRange(def: ReplicableDefinition, scope: ReplicationScope, idFrom: number, idTo: number): AsyncIterable<ReplicableRecord>;
  /** The records of these ids that exist (and are in `scope` unless it is null), ascending id. */
  getByIds(def: ReplicableDefinition, scope: ReplicationScope | null, ids: readonly number[]): Promise<ReplicableRecord[]>;
  /** Largest model id of the type in any scope; 0 when the model table is empty. */
  maxModelId(def: ReplicableDefinition): Promise<number>;
}

export interface PgReplicableCatalogRepositoryOptions {
  /** Rows per `listRange` query (keyset on id), so memory stays flat over any range. Default 1000. */
  readonly pageSize?: number;
}

export const DEFAULT_CATALOG_PAGE_SIZE = 1000;

/** GitLab `ObjectStorage::Store::REMOTE`: the blob is in object storage (spec §5.5). */
const FILE_STORE_REMOTE = 2;
const SUCCEEDED = encodeVerificationState('verification_succeeded');
const PENDING = encodeVerificationState('verification_pending');

interface SiteDbRow {
  id: string;
  name: string;
  enabled: boolean;
  secret_access_key: string | null;
  files_max_capacity: number;
  verification_max_capacity: number;
  minimum_reverification_interval: number;
  selective_sync_type: string | null;
  sync_object_storage: boolean;
  namespace_ids: string[];
}

/** Raw record row; attribute columns arrive as `attr_<index>` in whatever type pg parsed them to. */
interface RecordDbRow {
  model_id: string;
  blob_key: string;
  size: number | string;
  file_store: number | null;
  project_id: string | null;
  verification_state: number;
  verification_checksum: Buffer | null;
  verified_at: Date | null;
  created_at: Date;
  [attribute: `attr_${number}`]: unknown;
}

/**
 * `selective_sync_type` → scope. Blank means everything. We do not model shard (or organization)
 * selection, so any other value maps to an empty namespace selection: such a site replicates
 * nothing rather than everything, failing closed instead of widening its scope.
 */
function scopeOf(row: SiteDbRow): ReplicationScope {
  const type = row.selective_sync_type ?? '';
  const selectiveSync: ReplicationScope['selectiveSync'] =
    type === ''
      ? { type: 'all' }
      : { type: 'namespaces', namespaceIds: type === 'namespaces' ? row.namespace_ids.map(toId) : [] };
  return { selectiveSync, syncObjectStorage: row.sync_object_storage };
}

/**
 * An attribute column value as text: bytea (a pg Buffer) as lowercase hex, strings unchanged, other
 * scalars in their JS string form (dates as ISO 8601). NULL has no text: the caller omits the key.
 */
function attributeText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'string') return value;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

function assertSafeInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw new ValidationError(`${name} must be an integer, got ${value}`);
}

/** The SQL pieces of one replicable type, built once per definition from its names only. */
interface TypeSql {
  /** `SELECT … FROM <model> m LEFT JOIN <states> s` (no WHERE). */
  readonly select: string;
  readonly model: string;
  readonly projectColumn: string;
  readonly fileStoreColumn: string;
  readonly attributeColumns: readonly string[];
}

function buildTypeSql(def: ReplicableDefinition): TypeSql {
  const source = def.source;
  const model = sqlIdentifier(source.table);
  const states = sqlIdentifier(def.stateTable);
  const fk = sqlIdentifier(def.modelForeignKey);
  const attributeColumns = source.attributeColumns.map(sqlIdentifier);
  const projectColumn = sqlIdentifier(source.projectIdColumn);
  const fileStoreColumn = sqlIdentifier(source.fileStoreColumn);
  // A record without a state row has not been backfilled yet: it is pending (GitLab creates the
  // state row lazily too). The checksum travels only with a succeeded state (registry.proto).
  // `created_at` is the Rails timestamp every model table has; the definition does not name it.
  const columns = [
    'm.id AS model_id',
    `m.${sqlIdentifier(source.blobKeyColumn)} AS blob_key`,
    `m.${sqlIdentifier(source.sizeColumn)} AS size`,
    `m.${fileStoreColumn} AS file_store`,
    `m.${projectColumn} AS project_id`,
    `COALESCE(s.verification_state, ${PENDING}) AS verification_state`,
    `CASE WHEN s.verification_state = ${SUCCEEDED} THEN s.verification_checksum END AS verification_checksum`,
    's.verified_at',
    'm.created_at',
    ...attributeColumns.map((column, i) => `m.${column} AS attr_${i}`),
  ];
  return {
    select: `SELECT ${columns.join(', ')} FROM ${model} m LEFT JOIN ${states} s ON s.${fk} = m.id`,
    model,
    projectColumn,
    fileStoreColumn,
    attributeColumns,
  };
}

/** A scope as SQL: an optional CTE prefix and extra WHERE conditions. */
interface ScopeFilter {
  readonly cte: string;
  readonly conditions: readonly string[];
}

/**
 * The scope as SQL (spec §7, §5.5); pushes its parameters onto `values`. Namespace selection keeps
 * records whose project lives in a selected namespace or any descendant, found by a recursive CTE
 * over `namespaces.parent_id` (UNION, not UNION ALL, ends the walk even if the tree had a cycle);
 * a record without a project is then out of scope.
 */
function scopeFilter(sql: TypeSql, scope: ReplicationScope | null, values: unknown[]): ScopeFilter {
  if (scope === null) return { cte: '', conditions: [] };
  let cte = '';
  const conditions: string[] = [];
  if (scope.selectiveSync.type === 'namespaces') {
    values.push(scope.selectiveSync.namespaceIds);
    cte = `WITH RECURSIVE scope_namespaces AS (
         SELECT n.id FROM namespaces n WHERE n.id = ANY($${values.length}::bigint[])
         UNION
         SELECT c.id FROM namespaces c JOIN scope_namespaces sn ON c.parent_id = sn.id
       ) `;
    conditions.push(`m.${sql.projectColumn} IN (SELECT p.id FROM projects p WHERE p.namespace_id IN (SELECT id FROM scope_namespaces))`);
  }
  // NULL counts as local, as GitLab's `with_files_stored_locally` (`file_store IN (NULL, 1)`).
  if (!scope.syncObjectStorage) conditions.push(`m.${sql.fileStoreColumn} IS DISTINCT FROM ${FILE_STORE_REMOTE}`);
  return { cte, conditions };
}

/** `[WITH …] SELECT … WHERE <conditions> <tail>` for one type. */
function scopedQuery(sql: TypeSql, filter: ScopeFilter, conditions: readonly string[], tail: string): string {
  return `${filter.cte}${sql.select} WHERE ${[...conditions, ...filter.conditions].join(' AND ')} ${tail}`;
}

/**
 * PostgreSQL implementation of {@link ReplicableCatalog} over the primary's main database. Every
 * table and column name comes from the replicable definition (checked by `sqlIdentifier`).
 */
export class PgReplicableCatalogRepository implements ReplicableCatalog {
  private readonly pageSize: number;
  /** Per definition object (definitions are frozen), so SQL text is built once per type. */
  private readonly typeSql = new WeakMap<ReplicableDefinition, TypeSql>();

  constructor(
    private readonly db: SqlExecutor,
    options: PgReplicableCatalogRepositoryOptions = {},
  ) {
    this.pageSize = options.pageSize ?? DEFAULT_CATALOG_PAGE_SIZE;
    if (!Number.isSafeInteger(this.pageSize) || this.pageSize <= 0) {
      throw new ValidationError(`catalog page size must be a positive integer, got ${this.pageSize}`);
    }
  }

  async findSiteByAccessKey(accessKey: string): Promise<CatalogSite | undefined> {
    return mappingPgErrors('select geo_sites by access key', async () => {
      const result = await this.db.query<SiteDbRow>(
        `SELECT g.id, g.name, g.enabled, g.secret_access_key, g.files_max_capacity, g.verification_max_capacity,
                g.minimum_reverification_interval, g.selective_sync_type, g.sync_object_storage,
                ARRAY(SELECT l.namespace_id FROM geo_node_namespace_links l WHERE l.geo_node_id = g.id ORDER BY l.namespace_id) AS namespace_ids
         FROM geo_sites g WHERE g.access_key = $1`,
        [accessKey],
      );
      const row = result.rows[0];
      // A site without a secret cannot have signed anything: it is as unknown as a missing one.
      if (row === undefined || row.secret_access_key === null || row.secret_access_key === '') return undefined;
      return {
        id: toId(row.id),
        name: row.name,
        enabled: row.enabled,
        filesMaxCapacity: row.files_max_capacity,
        verificationMaxCapacity: row.verification_max_capacity,
        minimumReverificationInterval: row.minimum_reverification_interval,
        scope: scopeOf(row),
        secret: row.secret_access_key,
      };
    });
  }

  async *listRange(def: ReplicableDefinition, scope: ReplicationScope, idFrom: number, idTo: number): AsyncGenerator<ReplicableRecord> {
    assertSafeInteger('idFrom', idFrom);
    assertSafeInteger('idTo', idTo);
    const sql = this.sqlFor(def);
    // Keyset pagination: each page starts after the last id of the previous one, so a page costs an
    // index range scan whatever the offset, and only one page is held in memory.
    let after = idFrom - 1;
    for (;;) {
      const values: unknown[] = [after, idTo, this.pageSize];
      const text = scopedQuery(sql, scopeFilter(sql, scope, values), ['m.id > $1', 'm.id <= $2'], 'ORDER BY m.id LIMIT $3');
      const rows = await mappingPgErrors(`list ${sql.model}`, async () => {
        const result = await this.db.query<RecordDbRow>(text, values);
        return result.rows;
      });
      for (const row of rows) yield this.toRecord(def, sql, row);
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < this.pageSize) return;
      after = toId(last.model_id);
    }
  }

  async getByIds(def: ReplicableDefinition, scope: ReplicationScope | null, ids: readonly number[]): Promise<ReplicableRecord[]> {
    assertPositiveIds(ids, 'model record ids');
    if (ids.length === 0) return [];
    const sql = this.sqlFor(def);
    const values: unknown[] = [ids];
    const text = scopedQuery(sql, scopeFilter(sql, scope, values), ['m.id = ANY($1::bigint[])'], 'ORDER BY m.id');
    return mappingPgErrors(`get ${sql.model}`, async () => {
      const result = await this.db.query<RecordDbRow>(text, values);
      return result.rows.map((row) => this.toRecord(def, sql, row));
    });
  }

  async maxModelId(def: ReplicableDefinition): Promise<number> {
    const model = this.sqlFor(def).model;
    return mappingPgErrors(`max id ${model}`, async () => {
      const result = await this.db.query<{ max_id: string }>(`SELECT COALESCE(max(id), 0) AS max_id FROM ${model}`);
      return toId(result.rows[0]?.max_id ?? '0');
    });
  }

  private sqlFor(def: ReplicableDefinition): TypeSql {
    let sql = this.typeSql.get(def);
    if (sql === undefined) {
      sql = buildTypeSql(def);
      this.typeSql.set(def, sql);
    }
    return sql;
  }

  private toRecord(def: ReplicableDefinition, sql: TypeSql, row: RecordDbRow): ReplicableRecord {
    const attributes: Record<string, string> = {};
    sql.attributeColumns.forEach((column, i) => {
      const text = attributeText(row[`attr_${i}`]);
      if (text !== undefined) attributes[column] = text;
    });
    return {
      replicableName: def.name,
      modelRecordId: toId(row.model_id),
      blobKey: row.blob_key,
      size: Number(row.size),
      fileStore: row.file_store === FILE_STORE_REMOTE ? 'remote' : 'local',
      projectId: row.project_id === null ? null : toId(row.project_id),
      primaryVerificationState: decodeVerificationState(row.verification_state),
      primaryChecksum: byteaToHex(row.verification_checksum),
      primaryVerifiedAt: row.verified_at,
      attributes,
      createdAt: row.created_at,
    };
  }
}

