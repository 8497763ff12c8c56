/**
 * A Geo site (GitLab `geo_nodes`, called sites in the UI and API since 14.x) as the gateway manages
 * it. The gateway of the primary owns the `geo_sites` table; the other apps read it.
 */

/** GitLab's `selective_sync_type` values this system supports; `null` replicates everything. */
export const SELECTIVE_SYNC_TYPES = ['namespaces', 'shards'] as const;
export type SelectiveSyncType = (typeof SELECTIVE_SYNC_TYPES)[number];

/** Everything an admin sets on a site. */
export interface GeoSiteSettings {
  readonly name: string;
  /** External URL, always with a trailing slash (GitLab normalises it so). */
  readonly url: string;
  /** URL the other sites use to reach this one; `null` means "same as `url`". */
  readonly internalUrl: string | null;
  readonly primary: boolean;
  readonly enabled: boolean;
  /** Concurrent blob downloads of a secondary (`files_max_capacity`). */
  readonly filesMaxCapacity: number;
  readonly reposMaxCapacity: number;
  /** Concurrent checksum jobs per replicable type. */
  readonly verificationMaxCapacity: number;
  readonly containerRepositoriesMaxCapacity: number;
  /** Days after which succeeded verifications are redone (at least 1). */
  readonly minimumReverificationInterval: number;
  /** Whether a secondary also replicates records stored in object storage. */
  readonly syncObjectStorage: boolean;
  readonly selectiveSyncType: SelectiveSyncType | null;
  readonly selectiveSyncShards: readonly string[];
  /** Selected groups (descendants included by the primary); stored in `geo_node_namespace_links`. */
  readonly selectiveSyncNamespaceIds: readonly number[];
}

export interface GeoSite extends GeoSiteSettings {
  readonly id: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What PUT may change: anything but `primary` (GitLab's update API has no `primary` parameter). */
export type GeoSitePatch = Partial<Omit<GeoSiteSettings, 'primary'>>;

/** The credentials a secondary signs its site-to-site calls with; shown once, at creation. */
export interface SiteCredentials {
  readonly accessKey: string;
  readonly secretAccessKey: string;
}

/** GitLab's defaults for the optional settings (spec/geo-framework.md §8.4, `geo_nodes` schema). */
export const SITE_DEFAULTS = {
  internalUrl: null,
  primary: false,
  enabled: true,
  filesMaxCapacity: 10,
  reposMaxCapacity: 25,
  verificationMaxCapacity: 100,
  containerRepositoriesMaxCapacity: 10,
  minimumReverificationInterval: 7,
  syncObjectStorage: false,
  selectiveSyncType: null,
  selectiveSyncShards: [],
  selectiveSyncNamespaceIds: [],
} as const satisfies Omit<GeoSiteSettings, 'name' | 'url'>;
