import type { GeoSite, SelectiveSyncType, SiteCredentials } from './geo-site';

/** The two spellings of the API: `geo_sites`, and `geo_nodes` (deprecated in GitLab 16.0, still served). */
export const SITES_API_PATHS = ['/api/v4/geo_sites', '/api/v4/geo_nodes'] as const;
export type SitesApiPath = (typeof SITES_API_PATHS)[number];

/** Where the answer is rendered: absolute links are built from it, as GitLab's `expose_url` does. */
export interface SiteJsonContext {
  /** `<scheme>://<host>` of the request. */
  readonly origin: string;
  readonly apiPath: SitesApiPath;
  /** `GEO_SITE_NAME` of this gateway's site: that site renders `current: true`. */
  readonly currentSiteName: string;
}

/** GitLab's `GeoSite` entity. */
export interface GeoSiteJson {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  readonly internal_url: string;
  readonly primary: boolean;
  readonly enabled: boolean;
  readonly current: boolean;
  readonly files_max_capacity: number;
  readonly repos_max_capacity: number;
  readonly verification_max_capacity: number;
  readonly container_repositories_max_capacity: number;
  readonly selective_sync_type: SelectiveSyncType | null;
  readonly selective_sync_shards: readonly string[];
  readonly selective_sync_namespace_ids: readonly number[];
  readonly minimum_reverification_interval: number;
  readonly sync_object_storage: boolean;
  readonly web_edit_url: string;
  readonly _links: { readonly self: string; readonly status: string; readonly repair: string };
}

/** The creation answer for a secondary: the entity plus its credentials, the only time they are shown. */
export interface CreatedSiteJson extends GeoSiteJson {
  readonly access_key?: string;
  readonly secret_access_key?: string;
}

/** The URLs that name the answering gateway: they follow the request's origin and API spelling. */
function siteUrls(id: number, context: SiteJsonContext): Pick<GeoSiteJson, 'web_edit_url' | '_links'> {
  const self = `${context.origin}${context.apiPath}/${id}`;
  return { web_edit_url: `${context.origin}/admin/geo/sites/${id}/edit`, _links: { self, status: `${self}/status`, repair: `${self}/repair` } };
}

export function siteJson(site: GeoSite, context: SiteJsonContext): GeoSiteJson {
  return {
    id: site.id,
    name: site.name,
    url: site.url,
    // GitLab's `internal_url` reader falls back to `url` when none is set.
    internal_url: site.internalUrl ?? site.url,
    primary: site.primary,
    enabled: site.enabled,
    current: site.name === context.currentSiteName,
    files_max_capacity: site.filesMaxCapacity,
    repos_max_capacity: site.reposMaxCapacity,
    verification_max_capacity: site.verificationMaxCapacity,
    container_repositories_max_capacity: site.containerRepositoriesMaxCapacity,
    selective_sync_type: site.selectiveSyncType,
    selective_sync_shards: site.selectiveSyncShards,
    selective_sync_namespace_ids: site.selectiveSyncNamespaceIds,
    minimum_reverification_interval: site.minimumReverificationInterval,
    sync_object_storage: site.syncObjectStorage,
    ...siteUrls(site.id, context),
  };
}

export function createdSiteJson(site: GeoSite, credentials: SiteCredentials | undefined, context: SiteJsonContext): CreatedSiteJson {
  const json = siteJson(site, context);
  return credentials === undefined ? json : { ...json, access_key: credentials.accessKey, secret_access_key: credentials.secretAccessKey };
}

/**
 * A site as another gateway rendered it (a secondary reads the primary's answer), rendered for the
 * gateway answering now: `current` is this site, and the links point at this gateway.
 */
export function rerenderedSiteJson(json: GeoSiteJson, context: SiteJsonContext): GeoSiteJson {
  return { ...json, current: json.name === context.currentSiteName, ...siteUrls(json.id, context) };
}
