import type { MetricFamilySnapshot } from '@geo/grpc';
import type { GeoNodeStatus } from '@geo/proto';
import { gaugeFields, gaugeType, STATUS_FAILED_TOTAL, statusFamilies, type StatusGaugeOptions } from './status-gauges';

const REPLICABLES = [{ name: 'packages_nuget_symbol', pluralName: 'packages_nuget_symbols' }];
const PRIMARY: StatusGaugeOptions = { siteName: 'eu', role: 'primary', replicables: REPLICABLES };

function status(overrides: Partial<GeoNodeStatus> = {}): GeoNodeStatus {
  return {
    geoNodeId: 1,
    name: 'eu',
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
    replicables: {},
    healthIssues: [],
    ...overrides,
  };
}

const primaryStatus = status({
  lastEventId: 42,
  lastEventTimestamp: new Date('2026-11-25T09:00:00.900Z'),
  replicables: { packages_nuget_symbol: { count: 7, checksumTotalCount: 7, checksummedCount: 5, checksumFailedCount: 1, syncedInPercentage: 0, verifiedInPercentage: 0 } },
});
const secondaryStatus = status({
  geoNodeId: 2,
  name: 'us',
  cursorLastEventId: 40,
  eventLagSeconds: 3,
  statusFailedTotal: 2,
  replicables: {
    packages_nuget_symbol: {
      count: 6,
      registryCount: 6,
      syncedCount: 4,
      failedCount: 1,
      verifiedCount: 3,
      verificationFailedCount: 0,
      verificationTotalCount: 4,
      syncedInPercentage: 66.67,
      verifiedInPercentage: 50,
    },
  },
});

function family(families: readonly MetricFamilySnapshot[], name: string): MetricFamilySnapshot | undefined {
  return families.find((f) => f.name === name);
}

/** `{ site name → value }` of one family. */
function valuesBySite(families: readonly MetricFamilySnapshot[], name: string): Record<string, number> {
  return Object.fromEntries((family(families, name)?.values ?? []).map((v) => [String(v.labels['name']), v.value]));
}

describe('gaugeFields: GitLab gauge names (spec §8.3)', () => {
  it('maps every per-type count field and the site-wide fields by the name rule', () => {
    expect(gaugeFields(REPLICABLES).map((f) => [f.field, f.gauge])).toEqual([
      ['packages_nuget_symbols_count', 'geo_packages_nuget_symbols'],
      ['packages_nuget_symbols_checksum_total_count', 'geo_packages_nuget_symbols_checksum_total'],
      ['packages_nuget_symbols_checksummed_count', 'geo_packages_nuget_symbols_checksummed'],
      ['packages_nuget_symbols_checksum_failed_count', 'geo_packages_nuget_symbols_checksum_failed'],
      ['packages_nuget_symbols_synced_count', 'geo_packages_nuget_symbols_synced'],
      ['packages_nuget_symbols_failed_count', 'geo_packages_nuget_symbols_failed'],
      ['packages_nuget_symbols_registry_count', 'geo_packages_nuget_symbols_registry'],
      ['packages_nuget_symbols_verification_total_count', 'geo_packages_nuget_symbols_verification_total'],
      ['packages_nuget_symbols_verified_count', 'geo_packages_nuget_symbols_verified'],
      ['packages_nuget_symbols_verification_failed_count', 'geo_packages_nuget_symbols_verification_failed'],
      ['db_replication_lag_seconds', 'geo_db_replication_lag_seconds'],
      ['event_lag_seconds', 'geo_event_lag_seconds'],
      ['last_event_id', 'geo_last_event_id'],
      ['last_event_timestamp', 'geo_last_event_timestamp'],
      ['cursor_last_event_id', 'geo_cursor_last_event_id'],
      ['cursor_last_event_timestamp', 'geo_cursor_last_event_timestamp'],
      ['last_successful_status_check_timestamp', 'geo_last_successful_status_check_timestamp'],
      ['last_event_id', 'geo_event_log_max_id'],
    ]);
  });

  it.each([
    ['geo_packages_nuget_symbols', 'gauge'],
    ['geo_packages_nuget_symbols_checksum_total', 'untyped'],
    ['geo_packages_nuget_symbols_verification_total', 'untyped'],
    ['geo_last_event_id', 'gauge'],
  ])('%s is typed %s (a gauge may not end in _total for promtool)', (name, type) => {
    expect(gaugeType(name)).toBe(type);
  });
});

describe('statusFamilies', () => {
  const families = statusFamilies([primaryStatus, secondaryStatus], PRIMARY);

  it('labels every sample name=url=<site name>, one sample per site that has the field', () => {
    expect(family(families, 'geo_packages_nuget_symbols')?.values).toEqual([
      { value: 7, labels: { name: 'eu', url: 'eu' } },
      { value: 6, labels: { name: 'us', url: 'us' } },
    ]);
  });

  it.each([
    ['geo_packages_nuget_symbols_checksum_total', { eu: 7 }],
    ['geo_packages_nuget_symbols_checksummed', { eu: 5 }],
    ['geo_packages_nuget_symbols_checksum_failed', { eu: 1 }],
    ['geo_packages_nuget_symbols_registry', { us: 6 }],
    ['geo_packages_nuget_symbols_synced', { us: 4 }],
    ['geo_packages_nuget_symbols_failed', { us: 1 }],
    ['geo_packages_nuget_symbols_verified', { us: 3 }],
    ['geo_packages_nuget_symbols_verification_failed', { us: 0 }],
    ['geo_packages_nuget_symbols_verification_total', { us: 4 }],
    ['geo_last_event_id', { eu: 42 }],
    ['geo_event_log_max_id', { eu: 42 }],
    // Unix seconds, as the REST API renders it (floor).
    ['geo_last_event_timestamp', { eu: 1795597200 }],
    ['geo_cursor_last_event_id', { us: 40 }],
    ['geo_event_lag_seconds', { us: 3 }],
    ['geo_last_successful_status_check_timestamp', { eu: 1795600799, us: 1795600799 }],
  ])('%s = %j', (name, expected) => {
    expect(valuesBySite(families, name)).toEqual(expected);
  });

  it('exports only integers: null fields (GitLab null) and percentages have no sample or family', () => {
    expect(family(families, 'geo_db_replication_lag_seconds')).toBeUndefined();
    expect(families.some((f) => f.name.includes('percentage'))).toBe(false);
    for (const f of families) for (const v of f.values) expect(Number.isInteger(v.value)).toBe(true);
  });

  it('geo_status_failed_total is a counter of the statuses that carry it', () => {
    expect(family(families, STATUS_FAILED_TOTAL)).toEqual({
      name: STATUS_FAILED_TOTAL,
      help: expect.any(String),
      type: 'counter',
      values: [{ value: 2, labels: { name: 'us', url: 'us' } }],
    });
  });

  it('on a secondary, renders its own status with the secondary fields (count = registry count)', () => {
    const own = statusFamilies([secondaryStatus], { siteName: 'us', role: 'secondary', replicables: REPLICABLES });
    expect(valuesBySite(own, 'geo_packages_nuget_symbols')).toEqual({ us: 6 });
    expect(family(own, 'geo_packages_nuget_symbols_checksummed')).toBeUndefined();
  });

  it('no statuses: no families', () => {
    expect(statusFamilies([], PRIMARY)).toEqual([]);
  });
});
