import type { GeoNodeStatus } from '@geo/proto';
import { geoSiteStatusJson, roleOfStatus, type StatusJsonContext } from './status-json';

const CONTEXT: StatusJsonContext = {
  origin: 'https://eu.example',
  apiPath: '/api/v4/geo_sites',
  replicables: [
    { name: 'packages_nuget_symbol', pluralName: 'packages_nuget_symbols' },
    { name: 'disabled_thing', pluralName: 'disabled_things' },
  ],
};

function status(overrides: Partial<GeoNodeStatus> = {}): GeoNodeStatus {
  return {
    geoNodeId: 2,
    name: 'us',
    version: '0.1.0',
    revision: 'abc123',
    selectiveSyncType: '',
    namespaceIds: [],
    updatedAt: new Date('2026-11-25T10:00:00.500Z'),
    lastSuccessfulStatusCheckTimestamp: new Date('2026-11-25T09:59:59.999Z'),
    healthy: true,
    health: 'Healthy',
    healthStatus: 'Healthy',
    statusMessage: '',
    replicables: {
      packages_nuget_symbol: {
        count: 3,
        registryCount: 3,
        syncedCount: 1,
        failedCount: 1,
        verifiedCount: 1,
        verificationFailedCount: 0,
        verificationTotalCount: 1,
        syncedInPercentage: 100 / 3,
        verifiedInPercentage: 1.005,
      },
    },
    healthIssues: [],
    ...overrides,
  };
}

describe('geoSiteStatusJson', () => {
  it.each([
    ['count of the type', 'packages_nuget_symbols_count', 3],
    ['a secondary counter', 'packages_nuget_symbols_synced_count', 1],
    ['a primary counter absent on a secondary is null', 'packages_nuget_symbols_checksummed_count', null],
    ['synced percentage as Rails renders it', 'packages_nuget_symbols_synced_in_percentage', '33.33%'],
    ['verified percentage rounds half up', 'packages_nuget_symbols_verified_in_percentage', '1.01%'],
    ['a type the status does not carry: null counters', 'disabled_things_registry_count', null],
    ['… and 0.00% percentages', 'disabled_things_verified_in_percentage', '0.00%'],
    ['GitLab database lag: null (ADR 0007)', 'db_replication_lag_seconds', null],
    ['event lag unknown: null', 'event_lag_seconds', null],
    ['no last event: null', 'last_event_id', null],
    ['status check time in Unix seconds', 'last_successful_status_check_timestamp', 1795600799],
    ['updated_at as ISO 8601', 'updated_at', '2026-11-25T10:00:00.500Z'],
    ['everything replicated: selective_sync_type null', 'selective_sync_type', null],
    ['replication slots percentage', 'replication_slots_used_in_percentage', '0.00%'],
    ['no OAuth application needed', 'missing_oauth_application', false],
    ['container replication on a secondary', 'container_repositories_replication_enabled', false],
    ['storage shards', 'storage_shards_match', true],
    ['projects (not replicated here)', 'projects_count', null],
  ])('%s: %s', (_what, field, expected) => {
    expect(geoSiteStatusJson(status(), 'secondary', CONTEXT)[field]).toEqual(expected);
  });

  it('renders events, lag, namespaces and health issues of an unhealthy secondary', () => {
    const json = geoSiteStatusJson(
      status({
        lastEventId: 42,
        lastEventTimestamp: new Date('2026-11-25T10:00:00Z'),
        cursorLastEventId: 40,
        cursorLastEventTimestamp: new Date('2026-11-25T09:00:00.900Z'),
        eventLagSeconds: 3600,
        selectiveSyncType: 'namespaces',
        namespaceIds: [7, 9],
        healthy: false,
        health: 'event lag 3600 s',
        healthStatus: 'Unhealthy',
        healthIssues: [{ code: 'event_lag_high', message: 'event lag 3600 s' }],
      }),
      'secondary',
      CONTEXT,
    );
    expect(json).toMatchObject({
      last_event_id: 42,
      last_event_timestamp: 1795600800,
      cursor_last_event_id: 40,
      cursor_last_event_timestamp: 1795597200,
      event_lag_seconds: 3600,
      selective_sync_type: 'namespaces',
      namespaces: [{ id: 7 }, { id: 9 }],
      healthy: false,
      health: 'event lag 3600 s',
      health_status: 'Unhealthy',
      health_issues: [{ code: 'event_lag_high', message: 'event lag 3600 s' }],
    });
  });

  it('links self and site, or node on the legacy path; an unknown site id is null', () => {
    expect(geoSiteStatusJson(status(), 'secondary', CONTEXT)['_links']).toEqual({
      self: 'https://eu.example/api/v4/geo_sites/2/status',
      site: 'https://eu.example/api/v4/geo_sites/2',
    });
    expect(geoSiteStatusJson(status(), 'secondary', { ...CONTEXT, apiPath: '/api/v4/geo_nodes' })['_links']).toEqual({
      self: 'https://eu.example/api/v4/geo_nodes/2/status',
      node: 'https://eu.example/api/v4/geo_nodes/2',
    });
    expect(geoSiteStatusJson(status({ geoNodeId: 0 }), 'primary', CONTEXT)['geo_node_id']).toBeNull();
  });

  it('a primary reports no container replication setting (GitLab sets it on secondaries only)', () => {
    expect(geoSiteStatusJson(status(), 'primary', CONTEXT)['container_repositories_replication_enabled']).toBeNull();
  });
});

describe('roleOfStatus', () => {
  it.each([
    [{ siteName: 'eu', role: 'primary' as const }, 'eu', 'primary'],
    [{ siteName: 'eu', role: 'primary' as const }, 'us', 'secondary'],
    [{ siteName: 'us', role: 'secondary' as const }, 'us', 'secondary'],
  ])('%j, status of %s → %s', (options, name, role) => {
    expect(roleOfStatus({ name }, options)).toBe(role);
  });
});
