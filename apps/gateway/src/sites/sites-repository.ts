import { ErrorCodes, GeoError, NotFoundError, ValidationError } from '@geo/domain';
import { mapPgError, PgErrorCodes, sqlState, withTransaction, type SqlExecutor } from '@geo/pg';
import type { Pool } from 'pg';
import { SELECTIVE_SYNC_TYPES, type GeoSite, type GeoSitePatch, type GeoSiteSettings, type SelectiveSyncType, type SiteCredentials } from './geo-site';

/** GitLab's answer for an unknown site id. */
export const SITE_NOT_FOUND_MESSAGE = '404 GeoSite Not Found';

/** Site administration storage: `geo_sites` plus the selective-sync links in `geo_node_namespace_links`. */
export interface SitesRepository {
  list(): Promise<GeoSite[]>;
  /** NOT_FOUND for an unknown id. */
  get(id: number): Promise<GeoSite>;
  /** Stores a new site (with its credentials for a secondary). ALREADY_EXISTS for a taken name or a second primary. */
  create(settings: GeoSiteSettings, credentials: SiteCredentials | undefined): Promise<GeoSite>;
  /** Applies the changes; lists given in the patch replace the stored ones. */
  update(id: number, patch: GeoSitePatch): Promise<GeoSite>;
  /** NOT_FOUND for an unknown id. */
  remove(id: number): Promise<void>;
}

interface SiteRow {
  id: string;
  name: string;
  url: string;
  internal_url: string | null;
  primary: boolean;
  enabled: boolean;
  files_max_capacity: number;
  repos_max_capacity: number;
  verification_max_capacity: number;
  container_repositories_max_capacity: number;
  minimum_reverification_interval: number;
  sync_object_storage: boolean;
  selective_sync_type: string | null;
  selective_sync_shards: string[];
  namespace_ids: string[];
  created_at: Date;
  updated_at: Date;
}

const SELECT_SITES = `SELECT s.id, s.name, s.url, s.internal_url, s."primary", s.enabled, s.files_max_capacity, s.repos_max_capacity,
    s.verification_max_capacity, s.container_repositories_max_capacity, s.minimum_reverification_interval,
    s.sync_object_storage, s.selective_sync_type, s.selective_sync_shards, s.created_at, s.updated_at,
    COALESCE((SELECT array_agg(l.namespace_id ORDER BY l.namespace_id) FROM geo_node_namespace_links l WHERE l.geo_node_id = s.id), '{}') AS namespace_ids
  FROM geo_sites s`;

function selectiveSyncTypeOf(row: SiteRow): SelectiveSyncType | null {
  const value = row.selective_sync_type;
  if (value === null || value === '') return null;
  if ((SELECTIVE_SYNC_TYPES as readonly string[]).includes(value)) return value as SelectiveSyncType;
  throw new GeoError(ErrorCodes.INTERNAL, `geo_sites row ${row.id} has an unsupported selective_sync_type ${JSON.stringify(value)}`);
}

function toSite(row: SiteRow): GeoSite {
  return {
    id: Number(row.id),
    name: row.name,
    url: row.url,
    internalUrl: row.internal_url,
    primary: row.primary,
    enabled: row.enabled,
    filesMaxCapacity: row.files_max_capacity,
    reposMaxCapacity: row.repos_max_capacity,
    verificationMaxCapacity: row.verification_max_capacity,
    containerRepositoriesMaxCapacity: row.container_repositories_max_capacity,
    minimumReverificationInterval: row.minimum_reverification_interval,
    syncObjectStorage: row.sync_object_storage,
    selectiveSyncType: selectiveSyncTypeOf(row),
    selectiveSyncShards: row.selective_sync_shards,
    selectiveSyncNamespaceIds: row.namespace_ids.map(Number),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const nameTaken = (): GeoError =>
  new GeoError(ErrorCodes.ALREADY_EXISTS, 'name has already been taken', { details: { fieldErrors: { name: ['has already been taken'] } } });
const primaryExists = (): GeoError =>
  new GeoError(ErrorCodes.ALREADY_EXISTS, 'primary site already exists', { details: { fieldErrors: { primary: ['site already exists'] } } });

/** Unique violations the checks below normally pre-empt, when a concurrent writer got there first. */
function siteWriteError(error: unknown, context: string): GeoError {
  if (sqlState(error) === PgErrorCodes.UNIQUE_VIOLATION) {
    const constraint = (error as { constraint?: unknown }).constraint;
    if (constraint === 'index_geo_sites_on_name') return nameTaken();
    if (constraint === 'index_geo_sites_on_primary_true') return primaryExists();
  }
  return mapPgError(error, context);
}

/**
 * `geo_sites` in the primary's database. Writes run in one transaction under a transaction-scoped
 * advisory lock: site changes are rare admin actions, and serialising them makes the uniqueness
 * checks (case-insensitive name, single primary) exact instead of racing.
 */
export class PgSitesRepository implements SitesRepository {
  constructor(private readonly pool: Pool) {}

  async list(): Promise<GeoSite[]> {
    try {
      const { rows } = await this.pool.query<SiteRow>(`${SELECT_SITES} ORDER BY s.id`);
      return rows.map(toSite);
    } catch (error: unknown) {
      throw mapPgError(error, 'list geo sites');
    }
  }

  async get(id: number): Promise<GeoSite> {
    try {
      return await this.find(this.pool, id);
    } catch (error: unknown) {
      throw mapPgError(error, 'get geo site');
    }
  }

  async create(settings: GeoSiteSettings, credentials: SiteCredentials | undefined): Promise<GeoSite> {
    try {
      return await withTransaction(this.pool, async (tx) => {
        await lockSites(tx);
        await assertNameFree(tx, settings.name, undefined);
        if (settings.primary && (await tx.query('SELECT 1 FROM geo_sites WHERE "primary"')).rowCount !== 0) throw primaryExists();
        await assertNamespacesExist(tx, settings.selectiveSyncNamespaceIds);
        const { rows } = await tx.query<{ id: string }>(
          `INSERT INTO geo_sites (name, url, internal_url, "primary", enabled, access_key, secret_access_key, files_max_capacity,
             repos_max_capacity, verification_max_capacity, container_repositories_max_capacity, minimum_reverification_interval,
             sync_object_storage, selective_sync_type, selective_sync_shards)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
          [
            settings.name,
            settings.url,
            settings.internalUrl,
            settings.primary,
            settings.enabled,
            credentials?.accessKey ?? null,
            credentials?.secretAccessKey ?? null,
            settings.filesMaxCapacity,
            settings.reposMaxCapacity,
            settings.verificationMaxCapacity,
            settings.containerRepositoriesMaxCapacity,
            settings.minimumReverificationInterval,
            settings.syncObjectStorage,
            settings.selectiveSyncType,
            settings.selectiveSyncShards,
          ],
        );
        const id = Number(rows[0]!.id);
        await replaceNamespaceLinks(tx, id, settings.selectiveSyncNamespaceIds);
        return this.find(tx, id);
      });
    } catch (error: unknown) {
      throw siteWriteError(error, 'create geo site');
    }
  }

  async update(id: number, patch: GeoSitePatch): Promise<GeoSite> {
    try {
      return await withTransaction(this.pool, async (tx) => {
        await lockSites(tx);
        const current = await this.find(tx, id);
        const next: GeoSiteSettings = { ...current, ...patch };
        if (patch.name !== undefined) await assertNameFree(tx, patch.name, id);
        if (patch.selectiveSyncNamespaceIds !== undefined) await assertNamespacesExist(tx, patch.selectiveSyncNamespaceIds);
        await tx.query(
          `UPDATE geo_sites SET name = $2, url = $3, internal_url = $4, enabled = $5, files_max_capacity = $6, repos_max_capacity = $7,
             verification_max_capacity = $8, container_repositories_max_capacity = $9, minimum_reverification_interval = $10,
             sync_object_storage = $11, selective_sync_type = $12, selective_sync_shards = $13, updated_at = now()
           WHERE id = $1`,
          [
            id,
            next.name,
            next.url,
            next.internalUrl,
            next.enabled,
            next.filesMaxCapacity,
            next.reposMaxCapacity,
            next.verificationMaxCapacity,
            next.containerRepositoriesMaxCapacity,
            next.minimumReverificationInterval,
            next.syncObjectStorage,
            next.selectiveSyncType,
            next.selectiveSyncShards,
          ],
        );
        if (patch.selectiveSyncNamespaceIds !== undefined) await replaceNamespaceLinks(tx, id, patch.selectiveSyncNamespaceIds);
        return this.find(tx, id);
      });
    } catch (error: unknown) {
      throw siteWriteError(error, 'update geo site');
    }
  }

  async remove(id: number): Promise<void> {
    let deleted: number | null;
    try {
      // Links and the stored status go with the site (ON DELETE CASCADE).
      deleted = (await this.pool.query('DELETE FROM geo_sites WHERE id = $1', [id])).rowCount;
    } catch (error: unknown) {
      throw mapPgError(error, 'delete geo site');
    }
    if (deleted === 0) throw new NotFoundError(SITE_NOT_FOUND_MESSAGE, { details: { id } });
  }

  private async find(db: SqlExecutor, id: number): Promise<GeoSite> {
    const { rows } = await db.query<SiteRow>(`${SELECT_SITES} WHERE s.id = $1`, [id]);
    const row = rows[0];
    if (row === undefined) throw new NotFoundError(SITE_NOT_FOUND_MESSAGE, { details: { id } });
    return toSite(row);
  }
}

async function lockSites(tx: SqlExecutor): Promise<void> {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('geo_sites'))");
}

/** GitLab compares site names case-insensitively. */
async function assertNameFree(tx: SqlExecutor, name: string, exceptId: number | undefined): Promise<void> {
  const { rowCount } = await tx.query('SELECT 1 FROM geo_sites WHERE lower(name) = lower($1) AND id IS DISTINCT FROM $2', [name, exceptId ?? null]);
  if (rowCount !== 0) throw nameTaken();
}

async function assertNamespacesExist(tx: SqlExecutor, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  const { rows } = await tx.query<{ id: string }>('SELECT id FROM namespaces WHERE id = ANY($1::bigint[])', [ids]);
  const found = new Set(rows.map((r) => Number(r.id)));
  const missing = ids.filter((id) => !found.has(id));
  if (missing.length > 0) {
    throw new ValidationError(`selective_sync_namespace_ids contains unknown namespaces: ${missing.join(', ')}`, {
      details: { fieldErrors: { selective_sync_namespace_ids: [`contains unknown namespaces: ${missing.join(', ')}`] } },
    });
  }
}

async function replaceNamespaceLinks(tx: SqlExecutor, siteId: number, namespaceIds: readonly number[]): Promise<void> {
  await tx.query('DELETE FROM geo_node_namespace_links WHERE geo_node_id = $1', [siteId]);
  if (namespaceIds.length === 0) return;
  await tx.query('INSERT INTO geo_node_namespace_links (geo_node_id, namespace_id) SELECT $1, unnest($2::bigint[])', [siteId, namespaceIds]);
}
