import { gatewayError, requestGateway, type GatewayRequestOptions } from './gateway-request';

/** A site as the gateway's `/api/v4/geo_sites` answers it (the fields the CLI shows). */
export interface SiteJson {
  readonly id: number;
  readonly name: string;
  readonly url: string;
  readonly internal_url: string;
  readonly primary: boolean;
  readonly enabled: boolean;
  readonly current: boolean;
  readonly selective_sync_type: string | null;
  readonly selective_sync_namespace_ids: readonly number[];
  readonly selective_sync_shards: readonly string[];
  readonly [field: string]: unknown;
}

/** The creation answer: a secondary's credentials appear here and nowhere else. */
export interface CreatedSiteJson extends SiteJson {
  readonly access_key?: string;
  readonly secret_access_key?: string;
}

/** A site's status as `/api/v4/geo_sites/status` answers it (GitLab's `GeoSiteStatus`; fields by name). */
export interface SiteStatusJson {
  readonly geo_node_id: number | null;
  readonly healthy: boolean;
  readonly health: string;
  readonly health_status: string;
  readonly [field: string]: unknown;
}

/** GitLab's largest page. */
const STATUS_PAGE_SIZE = 100;

export type SitesApiOptions = GatewayRequestOptions;

/**
 * The gateway's sites admin REST API (sites and their statuses). Failures come back as the GeoError the gateway answered
 * (same code and message), or UNAVAILABLE when the gateway cannot be reached.
 */
export class SitesApi {
  constructor(private readonly options: SitesApiOptions) {}

  list(): Promise<SiteJson[]> {
    return this.request<SiteJson[]>('GET', '/api/v4/geo_sites');
  }

  /**
   * Every status the gateway's site knows (`GET /api/v4/geo_sites/status`), all pages: GitLab's
   * pagination caps a page at 100, so pages are read until one comes back short.
   */
  async statuses(): Promise<SiteStatusJson[]> {
    const all: SiteStatusJson[] = [];
    for (let page = 1; ; page += 1) {
      const batch = await this.request<SiteStatusJson[]>('GET', `/api/v4/geo_sites/status?per_page=${STATUS_PAGE_SIZE}&page=${page}`);
      all.push(...batch);
      if (batch.length < STATUS_PAGE_SIZE) return all;
    }
  }

  create(body: Readonly<Record<string, unknown>>): Promise<CreatedSiteJson> {
    return this.request<CreatedSiteJson>('POST', '/api/v4/geo_sites', body);
  }

  update(id: number, body: Readonly<Record<string, unknown>>): Promise<SiteJson> {
    return this.request<SiteJson>('PUT', `/api/v4/geo_sites/${id}`, body);
  }

  async remove(id: number): Promise<void> {
    await this.request<undefined>('DELETE', `/api/v4/geo_sites/${id}`);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const { response, text, json } = await requestGateway(this.options, { method, path, body });
    if (!response.ok) throw gatewayError(response.status, json, text);
    return json as T;
  }
}
