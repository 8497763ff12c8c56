import type { LoggerPort } from '@geo/domain';
import { MetricsServiceService, type MetricFamily, type MetricsServiceClient, type MetricsServiceServer } from '@geo/proto';
import { unary } from './client';
import { wrapUnary } from './handlers';
import type { GrpcServiceRegistration } from './server';

/**
 * One metric family in prom-client's `Registry.getMetricsAsJSON()` shape, typed structurally so this
 * adapter does not load prom-client: apps pass `() => registry.getMetricsAsJSON()`, the gateway feeds
 * scraped families to prom-client's `AggregatorRegistry.aggregate` (ADR 0010).
 */
export interface MetricFamilySnapshot {
  readonly name: string;
  readonly help: string;
  /**
   * "counter", "gauge", "histogram", "summary" (or "untyped"). prom-client's typings declare a
   * numeric enum (Counter = 0 …) while it returns the name at run time; both are accepted.
   */
  readonly type: string | number;
  readonly values: readonly MetricSampleSnapshot[];
}

/** prom-client's `MetricType` enum order. */
const PROM_CLIENT_TYPES = ['counter', 'gauge', 'histogram', 'summary'];

function typeName(type: string | number): string {
  return typeof type === 'string' ? type : (PROM_CLIENT_TYPES[type] ?? 'untyped');
}

export interface MetricSampleSnapshot {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number | undefined>>;
  /** Set for samples named apart from their family (`_bucket`, `_sum`, `_count` of a histogram). */
  readonly metricName?: string;
}

export function toProtoMetricFamily(family: MetricFamilySnapshot): MetricFamily {
  return {
    name: family.name,
    help: family.help,
    type: typeName(family.type),
    samples: family.values.map((sample) => ({
      metricName: sample.metricName ?? '',
      // prom-client keeps `le` as a number; text is what the exposition prints either way.
      labels: Object.fromEntries(Object.entries(sample.labels).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]]))),
      value: sample.value,
    })),
  };
}

export function fromProtoMetricFamily(family: MetricFamily): MetricFamilySnapshot {
  return {
    name: family.name,
    help: family.help,
    type: family.type,
    values: family.samples.map((sample) => ({ value: sample.value, labels: sample.labels, ...(sample.metricName === '' ? {} : { metricName: sample.metricName }) })),
  };
}

/** `geo.v1.MetricsService` over an app's metrics registry (`collect` = `() => registry.getMetricsAsJSON()`). */
export function metricsService(collect: () => Promise<readonly MetricFamilySnapshot[]>, logger?: LoggerPort): GrpcServiceRegistration {
  const implementation: MetricsServiceServer = {
    scrape: wrapUnary(async () => ({ families: (await collect()).map(toProtoMetricFamily) }), logger === undefined ? {} : { logger }),
  };
  return { definition: MetricsServiceService, implementation };
}

/** Scrapes a sibling app's `MetricsService`; fails with the call's `GeoError` (UNAVAILABLE, DEADLINE_EXCEEDED, …). */
export async function scrapeMetrics(client: MetricsServiceClient, deadlineMs: number): Promise<MetricFamilySnapshot[]> {
  const response = await unary(client.scrape.bind(client), {}, { deadlineMs });
  return response.families.map(fromProtoMetricFamily);
}
