import type { PrimaryCounts, ReplicableDefinition, SecondaryCounts } from '@geo/domain';

/**
 * Reads a secondary's per-replicable status counts (spec §8.1, secondary side; the shape and the
 * definitions are `SecondaryCounts` / `secondaryCountsFromGroups` in @geo/domain) from the tracking
 * database's `<name>_registry`. Must stay fast at 10 million rows: no scan of the registry per call.
 */
export interface RegistryStatusCountsReader {
  registryCounts(def: ReplicableDefinition): Promise<SecondaryCounts>;
}

/**
 * Reads the primary's per-replicable status counts (spec §8.1, primary side; `PrimaryCounts` /
 * `primaryCountsFromGroups`) from the main database's model table and `<name>_states`. Must stay fast
 * at 10 million rows.
 */
export interface PrimaryStatusCountsReader {
  primaryCounts(def: ReplicableDefinition): Promise<PrimaryCounts>;
}
