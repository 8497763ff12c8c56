import { SITE_DEFAULTS, type GeoSite } from './geo-site';
import { createdSiteJson, siteJson, type SiteJsonContext } from './site-json';

const site: GeoSite = {
  ...SITE_DEFAULTS,
  id: 3,
  name: 'london',
  url: 'https://london.example.com/',
  selectiveSyncType: 'namespaces',
  selectiveSyncNamespaceIds: [4, 9],
  createdAt: new Date(0),
  updatedAt: new Date(0),
};

const context: SiteJsonContext = { origin: 'https://primary.example.com', apiPath: '/api/v4/geo_sites', currentSiteName: 'primary' };

describe('siteJson', () => {
  it("renders GitLab's GeoSite entity", () => {
    expect(siteJson(site, context)).toEqual({
      id: 3,
      name: 'london',
      url: 'https://london.example.com/',
      internal_url: 'https://london.example.com/',
      primary: false,
      enabled: true,
      current: false,
      files_max_capacity: 10,
      repos_max_capacity: 25,
      verification_max_capacity: 100,
      container_repositories_max_capacity: 10,
      selective_sync_type: 'namespaces',
      selective_sync_shards: [],
      selective_sync_namespace_ids: [4, 9],
      minimum_reverification_interval: 7,
      sync_object_storage: false,
      web_edit_url: 'https://primary.example.com/admin/geo/sites/3/edit',
      _links: {
        self: 'https://primary.example.com/api/v4/geo_sites/3',
        status: 'https://primary.example.com/api/v4/geo_sites/3/status',
        repair: 'https://primary.example.com/api/v4/geo_sites/3/repair',
      },
    });
  });

  it('marks the site this gateway runs on as current', () => {
    expect(siteJson(site, { ...context, currentSiteName: 'london' }).current).toBe(true);
  });

  it('shows the internal URL when one is set', () => {
    expect(siteJson({ ...site, internalUrl: 'http://10.0.0.3/' }, context).internal_url).toBe('http://10.0.0.3/');
  });

  it('links through the deprecated geo_nodes path when asked through it', () => {
    expect(siteJson(site, { ...context, apiPath: '/api/v4/geo_nodes' })._links.self).toBe('https://primary.example.com/api/v4/geo_nodes/3');
  });

  it('never contains credentials', () => {
    expect(Object.keys(siteJson(site, context))).not.toEqual(expect.arrayContaining(['access_key']));
    expect(JSON.stringify(siteJson(site, context))).not.toContain('secret');
  });
});

describe('createdSiteJson', () => {
  it('adds the credentials of a new secondary', () => {
    const json = createdSiteJson(site, { accessKey: 'AK', secretAccessKey: 'SK' }, context);
    expect(json).toMatchObject({ id: 3, access_key: 'AK', secret_access_key: 'SK' });
  });

  it('has none for a primary', () => {
    expect(createdSiteJson({ ...site, primary: true }, undefined, context)).not.toHaveProperty('access_key');
  });
});
