import type { ReplicableDefinition } from '../replication/define-replicable';
import type { SyncState } from '../registry/sync-state';
import type { VerificationState } from '../verification/verification-state';

/**
 * Per-replicable GeoNodeStatus fields (GitLab `Gitlab::Geo::Replicator` + `GeoNodeStatus`), all
 * named `<plural>_<suffix>`, e.g. `packages_nuget_symbols_synced_count`. Deriving them from the
 * definition is what lets a new replicable type appear in status without touching status code.
 */
export const STATUS_COUNT_SUFFIXES = {
  /** Primary: records on the primary. Secondary: overwritten with `registry_count`. */
  count: 'count',
  /** Primary: records eligible for checksumming (`available_verifiables`). */
  checksumTotalCount: 'checksum_total_count',
  /** Primary: `verification_succeeded`. */
  checksummedCount: 'checksummed_count',
  /** Primary: `verification_failed`. */
  checksumFailedCount: 'checksum_failed_count',
  /** Secondary: `state = synced`. */
  syncedCount: 'synced_count',
  /** Secondary: `state = failed`. */
  failedCount: 'failed_count',
  /** Secondary: all registry rows. */
  registryCount: 'registry_count',
  /** Secondary: synced and verification not disabled. */
  verificationTotalCount: 'verification_total_count',
  /** Secondary: synced and verification succeeded. */
  verifiedCount: 'verified_count',
  /** Secondary: synced and verification failed. */
  verificationFailedCount: 'verification_failed_count',
} as const;

export const STATUS_PERCENTAGE_SUFFIXES = {
  /** `synced_count / registry_count × 100`. */
  syncedInPercentage: 'synced_in_percentage',
  /** `verified_count / registry_count × 100` (denominator is the registry count, not the verification total). */
  verifiedInPercentage: 'verified_in_percentage',
} as const;

export type StatusCountKey = keyof typeof STATUS_COUNT_SUFFIXES;
export type StatusPercentageKey = keyof typeof STATUS_PERCENTAGE_SUFFIXES;
export type StatusFieldNames = { readonly [K in StatusCountKey | StatusPercentageKey]: string };

/** The 10 count field names and 2 percentage field names of one replicable type. */
export function statusFieldsFor(def: Pick<ReplicableDefinition, 'pluralName'>): StatusFieldNames {
  const all = { ...STATUS_COUNT_SUFFIXES, ...STATUS_PERCENTAGE_SUFFIXES };
  return Object.freeze(
    Object.fromEntries(Object.entries(all).map(([key, suffix]) => [key, `${def.pluralName}_${suffix}`])),
  ) as StatusFieldNames;
}

/** Prometheus gauge for a status field: `geo_` + the name with ONE trailing `_count` or `_total` removed. */
export function prometheusGaugeName(fieldName: string): string {
  return `geo_${fieldName.replace(/_(count|total)$/, '')}`;
}

/** One row of `SELECT state, verification_state, COUNT(*) FROM <registry> GROUP BY 1, 2`. */
export interface RegistryCountGroup {
  readonly state: SyncState;
  readonly verificationState: VerificationState;
  readonly count: number;
}

export interface SecondaryCounts {
  readonly registryCount: number;
  readonly syncedCount: number;
  readonly failedCount: number;
  readonly verifiedCount: number;
  readonly verificationFailedCount: number;
  readonly verificationTotalCount: number;
}

/** Sum of `count` over the groups `keep` accepts. */
function sumWhere<G extends { readonly count: number }>(groups: readonly G[], keep: (g: G) => boolean): number {
  return groups.reduce((acc, g) => (keep(g) ? acc + g.count : acc), 0);
}

/** Secondary counts per spec §8.1 from a grouped count table (any grouping granularity works). */
export function secondaryCountsFromGroups(groups: readonly RegistryCountGroup[]): SecondaryCounts {
  const sum = (keep: (g: RegistryCountGroup) => boolean): number => sumWhere(groups, keep);
  const synced = (g: RegistryCountGroup): boolean => g.state === 'synced';
  return {
    registryCount: sum(() => true),
    syncedCount: sum(synced),
    failedCount: sum((g) => g.state === 'failed'),
    verifiedCount: sum((g) => synced(g) && g.verificationState === 'verification_succeeded'),
    verificationFailedCount: sum((g) => synced(g) && g.verificationState === 'verification_failed'),
    verificationTotalCount: sum((g) => synced(g) && g.verificationState !== 'verification_disabled'),
  };
}

/** One row of `SELECT verification_state, COUNT(*) FROM <states> GROUP BY 1` (verifiable records only). */
export interface StateCountGroup {
  readonly verificationState: VerificationState;
  readonly count: number;
}

export interface PrimaryCounts {
  readonly count: number;
  readonly checksumTotalCount: number;
  readonly checksummedCount: number;
  readonly checksumFailedCount: number;
}

/** Primary counts per spec §8.1: `count` is every replicable record, the rest come from the state rows. */
export function primaryCountsFromGroups(replicableCount: number, groups: readonly StateCountGroup[]): PrimaryCounts {
  const sum = (keep: (g: StateCountGroup) => boolean): number => sumWhere(groups, keep);
  return {
    count: replicableCount,
    checksumTotalCount: sum(() => true),
    checksummedCount: sum((g) => g.verificationState === 'verification_succeeded'),
    checksumFailedCount: sum((g) => g.verificationState === 'verification_failed'),
  };
}

/** GitLab `calc_percentage(total, count)`: `count / total × 100`, and 0 when the total is 0. */
export function percentage(count: number, total: number): number {
  return total === 0 ? 0 : (count / total) * 100;
}

export function syncedInPercentage(counts: Pick<SecondaryCounts, 'syncedCount' | 'registryCount'>): number {
  return percentage(counts.syncedCount, counts.registryCount);
}

export function verifiedInPercentage(counts: Pick<SecondaryCounts, 'verifiedCount' | 'registryCount'>): number {
  return percentage(counts.verifiedCount, counts.registryCount);
}

/**
 * Rails `number_to_percentage(value, precision: 2)`: two decimals, rounded half up on the decimal
 * value (Rails goes through BigDecimal, so 1.005 → "1.01", where `toFixed` would give "1.00").
 */
export function formatPercentage(value: number): string {
  // 15 significant digits drop binary noise (1.005 × 100 = 100.49999999999999 → 100.5) before rounding.
  const hundredths = Math.round(Number((Math.abs(value) * 100).toPrecision(15)));
  return `${value < 0 && hundredths !== 0 ? '-' : ''}${(hundredths / 100).toFixed(2)}%`;
}
