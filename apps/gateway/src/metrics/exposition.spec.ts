import type { MetricFamilySnapshot } from '@geo/grpc';
import { mergeFamilies, renderExposition } from './exposition';

const gauge = (name: string, value: number): MetricFamilySnapshot => ({ name, help: `${name} help`, type: 'gauge', values: [{ value, labels: { name: 'eu', url: 'eu' } }] });

describe('mergeFamilies', () => {
  it('keeps every family once, the earlier source winning, and names the dropped copies', () => {
    const merged = mergeFamilies([[gauge('a', 1), gauge('b', 2)], [gauge('b', 20), gauge('c', 3)], [gauge('a', 10)]]);
    expect(merged.families.map((f) => [f.name, f.values[0]?.value])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
    ]);
    expect(merged.dropped).toEqual(['b', 'a']);
  });

  it('no sources: nothing', () => {
    expect(mergeFamilies([])).toEqual({ families: [], dropped: [] });
  });
});

describe('renderExposition', () => {
  it('writes HELP, TYPE and samples with escaped label values', async () => {
    const text = await renderExposition([
      { name: 'geo_x_checksum_total', help: 'Number to checksum', type: 'untyped', values: [{ value: 3, labels: { name: 'e"u', url: 'e"u' } }] },
      {
        name: 'geo_sync_lag_seconds',
        help: 'lag',
        type: 'histogram',
        values: [
          { value: 1, labels: { le: '1', replicable: 'r' }, metricName: 'geo_sync_lag_seconds_bucket' },
          { value: 1, labels: { le: '+Inf', replicable: 'r' }, metricName: 'geo_sync_lag_seconds_bucket' },
          { value: 0.5, labels: { replicable: 'r' }, metricName: 'geo_sync_lag_seconds_sum' },
          { value: 1, labels: { replicable: 'r' }, metricName: 'geo_sync_lag_seconds_count' },
        ],
      },
    ]);
    expect(text.split('\n')).toEqual([
      '# HELP geo_x_checksum_total Number to checksum',
      '# TYPE geo_x_checksum_total untyped',
      'geo_x_checksum_total{name="e\\"u",url="e\\"u"} 3',
      '',
      '# HELP geo_sync_lag_seconds lag',
      '# TYPE geo_sync_lag_seconds histogram',
      'geo_sync_lag_seconds_bucket{le="1",replicable="r"} 1',
      'geo_sync_lag_seconds_bucket{le="+Inf",replicable="r"} 1',
      'geo_sync_lag_seconds_sum{replicable="r"} 0.5',
      'geo_sync_lag_seconds_count{replicable="r"} 1',
      '',
    ]);
  });

  it('no families: an empty exposition (prom-client writes one newline)', async () => {
    expect(await renderExposition([])).toBe('\n');
  });
});
