import type { MetricFamilySnapshot } from '@geo/grpc';
import { AggregatorRegistry, Registry } from 'prom-client';

/** `Content-Type` of the text exposition format prom-client writes (0.0.4). */
export const EXPOSITION_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

export interface MergedFamilies {
  readonly families: MetricFamilySnapshot[];
  /** Family names a later source also had; that source's copy was dropped. */
  readonly dropped: string[];
}

/**
 * Families of several sources (the gateway's own, then each sibling app's) as one list in which
 * every name appears once, the earlier source winning: an exposition with two HELP/TYPE blocks for
 * one name is invalid, and summing two unrelated families would be a lie. Apps name their families
 * apart (`geo_sync_*`, `geo_verification_*`), so a drop means a naming bug; the caller logs it.
 */
export function mergeFamilies(sources: readonly (readonly MetricFamilySnapshot[])[]): MergedFamilies {
  const seen = new Set<string>();
  const families: MetricFamilySnapshot[] = [];
  const dropped: string[] = [];
  for (const source of sources) {
    for (const family of source) {
      if (seen.has(family.name)) {
        dropped.push(family.name);
        continue;
      }
      seen.add(family.name);
      families.push(family);
    }
  }
  return { families, dropped };
}

/**
 * The Prometheus text exposition of `families` (names must be unique: see `mergeFamilies`), written
 * by prom-client itself, through the registry it uses to merge cluster workers' metrics.
 */
export async function renderExposition(families: readonly MetricFamilySnapshot[]): Promise<string> {
  // `first`: every name is unique here, so no value is ever combined with another.
  const withAggregator = families.map((family) => ({ ...family, aggregator: 'first' }));
  return AggregatorRegistry.aggregate(withAggregator.length === 0 ? [] : [withAggregator]).metrics();
}
