import { Writable } from 'node:stream';
import { UnavailableError } from '@geo/domain';
import type { MetricFamilySnapshot } from '@geo/grpc';
import type { GeoNodeStatus } from '@geo/proto';
import pino from 'pino';
import { collectFamilies, SCRAPE_UP, type MetricsRoutesOptions } from './metrics-routes';

const REPLICABLES = [{ name: 'packages_nuget_symbol', pluralName: 'packages_nuget_symbols' }];

const status: GeoNodeStatus = {
  geoNodeId: 1,
  name: 'eu',
  version: '0.1.0',
  revision: 'abc',
  selectiveSyncType: '',
  namespaceIds: [],
  healthy: true,
  health: 'Healthy',
  healthStatus: 'Healthy',
  statusMessage: '',
  replicables: { packages_nuget_symbol: { count: 5, syncedInPercentage: 0, verifiedInPercentage: 0 } },
  healthIssues: [],
};

const histogram: MetricFamilySnapshot = { name: 'geo_sync_lag_seconds', help: 'lag', type: 'histogram', values: [] };

function capture(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const stream = new Writable({ write: (chunk: Buffer, _enc, done) => (out.push(chunk.toString('utf8')), done()) });
  return { logger: pino({ level: 'info' }, stream), lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

function options(overrides: Partial<MetricsRoutesOptions>): MetricsRoutesOptions {
  return { siteName: 'eu', role: 'primary', replicables: REPLICABLES, statuses: { listStatuses: async () => [status] }, sources: [], ...overrides };
}

const upValues = (families: readonly MetricFamilySnapshot[]): Record<string, number> =>
  Object.fromEntries((families.find((f) => f.name === SCRAPE_UP)?.values ?? []).map((v): [string, number] => [String(v.labels['app']), v.value]));

describe('collectFamilies', () => {
  it('gauges first, then geo_metrics_scrape_up, then each sibling', async () => {
    const { logger } = capture();
    const families = await collectFamilies(options({ sources: [{ app: 'blob-transfer', scrape: async () => [histogram] }] }), logger);
    expect(families.map((f) => f.name)).toEqual(['geo_packages_nuget_symbols', SCRAPE_UP, 'geo_sync_lag_seconds']);
    expect(upValues(families)).toEqual({ status: 1, 'blob-transfer': 1 });
  });

  it('a failing part is left out and reported as 0, with a warning; the rest is served', async () => {
    const { logger, lines } = capture();
    const families = await collectFamilies(
      options({
        statuses: { listStatuses: async () => Promise.reject(new UnavailableError('status app down')) },
        sources: [
          { app: 'blob-transfer', scrape: async () => Promise.reject(new UnavailableError('no connection')) },
          { app: 'checksum', scrape: async () => [histogram] },
        ],
      }),
      logger,
    );
    expect(families.map((f) => f.name)).toEqual([SCRAPE_UP, 'geo_sync_lag_seconds']);
    expect(upValues(families)).toEqual({ status: 0, 'blob-transfer': 0, checksum: 1 });
    expect(lines().filter((l) => l['level'] === 40).map((l) => String(l['app'])).sort()).toEqual(['blob-transfer', 'status']);
  });

  it('a family two sources name is kept once (the first) and logged as an error', async () => {
    const { logger, lines } = capture();
    const clash: MetricFamilySnapshot = { name: 'geo_packages_nuget_symbols', help: 'clash', type: 'gauge', values: [{ value: 99, labels: {} }] };
    const families = await collectFamilies(options({ sources: [{ app: 'checksum', scrape: async () => [clash] }] }), logger);
    expect(families.filter((f) => f.name === 'geo_packages_nuget_symbols')).toHaveLength(1);
    expect(families.find((f) => f.name === 'geo_packages_nuget_symbols')?.values[0]?.value).toBe(5);
    expect(lines().find((l) => l['level'] === 50)).toMatchObject({ families: ['geo_packages_nuget_symbols'] });
  });
});
