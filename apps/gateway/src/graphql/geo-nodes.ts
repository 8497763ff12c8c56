import { ErrorCodes, GeoError } from '@geo/domain';
import type { SitesRepository } from '../sites/sites-repository';
import type { StatusApi } from '../status/status-api';

/** A Geo node as `Query.geoNode` answers it. */
export interface GeoNodeInfo {
  readonly name: string;
  readonly primary: boolean;
  /** The node being asked (GitLab `GeoNode.current?`): only then are its registries readable. */
  readonly current: boolean;
  /** Its `geo_sites.id`; may need a call, so only resolved when `id` is selected. */
  id(): Promise<number>;
}

/** Finds nodes by name (GitLab `GeoNodeFinder` with `names: [name]`). */
export interface GeoNodeDirectory {
  find(name: string): Promise<GeoNodeInfo | undefined>;
}

/** The primary owns `geo_sites`: every site can be found by name. */
export class PrimaryGeoNodes implements GeoNodeDirectory {
  constructor(
    private readonly sites: SitesRepository,
    private readonly currentName: string,
  ) {}

  async find(name: string): Promise<GeoNodeInfo | undefined> {
    const site = (await this.sites.list()).find((s) => s.name === name);
    if (site === undefined) return undefined;
    return { name: site.name, primary: site.primary, current: site.name === this.currentName, id: async () => site.id };
  }
}

/**
 * A site that knows only itself: a secondary (GitLab's secondaries read a replica of the primary's
 * database and know every node; ours do not hold `geo_sites`), so other names are not found. Its id
 * is the `geo_node_id` its status app knows.
 */
export class SelfOnlyGeoNodes implements GeoNodeDirectory {
  constructor(
    private readonly currentName: string,
    private readonly primary: boolean,
    private readonly status: Pick<StatusApi, 'getStatus'>,
  ) {}

  async find(name: string): Promise<GeoNodeInfo | undefined> {
    if (name !== this.currentName) return undefined;
    return {
      name,
      primary: this.primary,
      current: true,
      id: async () => {
        const { geoNodeId } = await this.status.getStatus();
        if (geoNodeId === 0) throw new GeoError(ErrorCodes.UNAVAILABLE, 'this site does not know its GeoNode id yet: it has not reached the primary');
        return geoNodeId;
      },
    };
  }
}

/** The directory for a site: every site on a primary with `geo_sites`, itself only otherwise. */
export function geoNodeDirectory(site: {
  readonly role: 'primary' | 'secondary';
  readonly siteName: string;
  readonly sites: SitesRepository | undefined;
  readonly status: Pick<StatusApi, 'getStatus'>;
}): GeoNodeDirectory {
  if (site.role === 'primary' && site.sites !== undefined) return new PrimaryGeoNodes(site.sites, site.siteName);
  return new SelfOnlyGeoNodes(site.siteName, site.role === 'primary', site.status);
}
