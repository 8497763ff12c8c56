import type { SiteSettings } from '../replication/replicable-record';
import type { SiteHealth } from './health-rules';
import { syncedInPercentage, verifiedInPercentage, type PrimaryCounts, type SecondaryCounts } from './status-fields';

/**
 * The 10 counters and 2 percentages of one replicable type in a GeoNodeStatus (spec §8.1). A counter
 * is null where GitLab reports null: secondary counters on a primary, primary counters on a
 * secondary, and every counter of a type whose replication is off (or that could not be counted).
 */
export interface ReplicableStatus {
  /** Primary: records available; secondary: overwritten with `registryCount`. */
  readonly count: number | null;
  readonly checksumTotalCount: number | null;
  readonly checksummedCount: number | null;
  readonly checksumFailedCount: number | null;
  readonly registryCount: number | null;
  readonly syncedCount: number | null;
  readonly failedCount: number | null;
  readonly verifiedCount: number | null;
  readonly verificationFailedCount: number | null;
  readonly verificationTotalCount: number | null;
  /** `synced / registry × 100`; 0 when the registry count is 0 or null (GitLab `calc_percentage`). */
  readonly syncedInPercentage: number;
  /** `verified / registry × 100` (the registry count, not the verification total, is the denominator). */
  readonly verifiedInPercentage: number;
}

const NO_COUNTS: ReplicableStatus = Object.freeze({
  count: null,
  checksumTotalCount: null,
  checksummedCount: null,
  checksumFailedCount: null,
  registryCount: null,
  syncedCount: null,
  failedCount: null,
  verifiedCount: null,
  verificationFailedCount: null,
  verificationTotalCount: null,
  syncedInPercentage: 0,
  verifiedInPercentage: 0,
});

/** A primary's fields of one type; `null` counts (replication off, or not counted) give all nulls. */
export function primaryReplicableStatus(counts: PrimaryCounts | null): ReplicableStatus {
  if (counts === null) return NO_COUNTS;
  return {
    ...NO_COUNTS,
    count: counts.count,
    checksumTotalCount: counts.checksumTotalCount,
    checksummedCount: counts.checksummedCount,
    checksumFailedCount: counts.checksumFailedCount,
  };
}

/** A secondary's fields of one type: `count` is the registry count (GitLab overwrites it there). */
export function secondaryReplicableStatus(counts: SecondaryCounts | null): ReplicableStatus {
  if (counts === null) return NO_COUNTS;
  return {
    ...NO_COUNTS,
    count: counts.registryCount,
    registryCount: counts.registryCount,
    syncedCount: counts.syncedCount,
    failedCount: counts.failedCount,
    verifiedCount: counts.verifiedCount,
    verificationFailedCount: counts.verificationFailedCount,
    verificationTotalCount: counts.verificationTotalCount,
    syncedInPercentage: syncedInPercentage(counts),
    verifiedInPercentage: verifiedInPercentage(counts),
  };
}

/**
 * Recomputes the percentages from the counters (a status read back from storage keeps only the
 * counters, like GitLab's `status` jsonb).
 */
export function withPercentages(status: Omit<ReplicableStatus, 'syncedInPercentage' | 'verifiedInPercentage'>): ReplicableStatus {
  const registryCount = status.registryCount ?? 0;
  return {
    ...status,
    syncedInPercentage: syncedInPercentage({ registryCount, syncedCount: status.syncedCount ?? 0 }),
    verifiedInPercentage: verifiedInPercentage({ registryCount, verifiedCount: status.verifiedCount ?? 0 }),
  };
}

/** A position in the primary's event log: the event id and when the primary wrote it. */
export interface EventLogPosition {
  readonly eventId: number;
  readonly createdAt: Date;
}

/**
 * `selective_sync_type` as the site's `geo_sites` row holds it: "" (everything), "namespaces", or a
 * GitLab type this project does not model ("shards", "organizations"), reported verbatim.
 */
export type SelectiveSyncType = string;

/** Who a site is on the primary (its `geo_sites` row): what a status reports besides its counters. */
export interface SiteIdentity {
  readonly geoNodeId: number;
  readonly name: string;
  readonly selectiveSyncType: SelectiveSyncType;
  /** Selected namespaces (`namespaces` type only); empty otherwise. */
  readonly namespaceIds: readonly number[];
}

/** The identity in a site's settings (a secondary learns them from the primary's `DescribeCatalog`). */
export function siteIdentityOf(settings: Pick<SiteSettings, 'id' | 'name' | 'scope'>): SiteIdentity {
  const { selectiveSync } = settings.scope;
  return selectiveSync.type === 'all'
    ? { geoNodeId: settings.id, name: settings.name, selectiveSyncType: '', namespaceIds: [] }
    : { geoNodeId: settings.id, name: settings.name, selectiveSyncType: 'namespaces', namespaceIds: [...selectiveSync.namespaceIds] };
}

/**
 * One site's GeoNodeStatus (spec §8.1, §8.2) in domain terms. `eventLagSeconds` replaces GitLab's
 * `db_replication_lag_seconds` (ADR 0007); fields that only exist on secondaries are null on a primary.
 */
export interface NodeStatus {
  /** The site's `geo_sites.id`; null while the site is not registered (or, on a secondary, not yet known). */
  readonly geoNodeId: number | null;
  readonly name: string;
  /** Newest event of the primary's log. */
  readonly lastEvent: EventLogPosition | null;
  /** Secondary: the last event its log cursor applied. */
  readonly cursorLastEvent: EventLogPosition | null;
  /** Secondary: age in seconds of the oldest event not applied yet; 0 when caught up; null when unknown. */
  readonly eventLagSeconds: number | null;
  readonly version: string;
  readonly revision: string;
  readonly selectiveSyncType: SelectiveSyncType;
  readonly namespaceIds: readonly number[];
  /** When this status was computed. */
  readonly updatedAt: Date;
  /** When a computation last read every counter successfully. */
  readonly lastSuccessfulStatusCheckAt: Date | null;
  readonly health: SiteHealth;
  /** Per replicable name (e.g. `packages_nuget_symbol`). */
  readonly replicables: Readonly<Record<string, ReplicableStatus>>;
  /** Secondary: status pushes to the primary that failed since the status service started (`geo_status_failed_total`). */
  readonly statusFailedTotal: number | null;
}
