import { fromProtoMetricFamily, toProtoMetricFamily, type MetricFamilySnapshot } from './metrics-service';

describe('metric family codec', () => {
  it('sends label values as text, drops undefined labels, and names samples only when they differ', () => {
    const family: MetricFamilySnapshot = {
      name: 'geo_sync_lag_seconds',
      help: 'lag',
      type: 'histogram',
      values: [
        { value: 1, labels: { le: 0.5, replicable: 'r', unset: undefined }, metricName: 'geo_sync_lag_seconds_bucket' },
        { value: 2, labels: { le: '+Inf', replicable: 'r' }, metricName: 'geo_sync_lag_seconds_bucket' },
      ],
    };
    const wire = toProtoMetricFamily(family);
    expect(wire).toEqual({
      name: 'geo_sync_lag_seconds',
      help: 'lag',
      type: 'histogram',
      samples: [
        { metricName: 'geo_sync_lag_seconds_bucket', labels: { le: '0.5', replicable: 'r' }, value: 1 },
        { metricName: 'geo_sync_lag_seconds_bucket', labels: { le: '+Inf', replicable: 'r' }, value: 2 },
      ],
    });
    expect(fromProtoMetricFamily({ ...wire, samples: [{ metricName: '', labels: { a: 'b' }, value: 3 }] })).toEqual({
      name: 'geo_sync_lag_seconds',
      help: 'lag',
      type: 'histogram',
      values: [{ value: 3, labels: { a: 'b' } }],
    });
  });

  it.each([
    [0, 'counter'],
    [1, 'gauge'],
    [2, 'histogram'],
    [3, 'summary'],
    [9, 'untyped'],
    ['gauge', 'gauge'],
  ])("type %p (prom-client's typings say a numeric enum) → %p", (type, name) => {
    expect(toProtoMetricFamily({ name: 'x', help: 'h', type, values: [] }).type).toBe(name);
  });
});
