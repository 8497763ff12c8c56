import type { SiteIdentity } from '@geo/domain';
import { mappingPgErrors } from '../errors';
import type { SqlExecutor } from '../transaction';
import { toId } from './registry-row-mapping';

interface IdentityDbRow {
  id: string;
  name: string;
  selective_sync_type: string | null;
  namespace_ids: string[];
}

/**
 * A site's identity in the primary's `geo_sites` (id, name, selective sync) for its GeoNodeStatus.
 * The primary finds its own row by `GEO_SITE_NAME` (sites are unique by name, as in GitLab).
 */
export class PgGeoSiteIdentityRepository {
  constructor(private readonly db: SqlExecutor) {}

  /** The site named `name`, or undefined while it is not registered. */
  async findByName(name: string): Promise<SiteIdentity | undefined> {
    return mappingPgErrors('select geo_sites by name', async () => {
      const result = await this.db.query<IdentityDbRow>(
        `SELECT g.id, g.name, g.selective_sync_type,
                ARRAY(SELECT l.namespace_id FROM geo_node_namespace_links l WHERE l.geo_node_id = g.id ORDER BY l.namespace_id) AS namespace_ids
         FROM geo_sites g WHERE g.name = $1`,
        [name],
      );
      const row = result.rows[0];
      if (row === undefined) return undefined;
      const selectiveSyncType = row.selective_sync_type ?? '';
      return {
        geoNodeId: toId(row.id),
        name: row.name,
        selectiveSyncType,
        namespaceIds: selectiveSyncType === 'namespaces' ? row.namespace_ids.map(toId) : [],
      };
    });
  }
}
