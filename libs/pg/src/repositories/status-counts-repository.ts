import {
  decodeSyncState,
  decodeVerificationState,
  ErrorCodes,
  GeoError,
  primaryCountsFromGroups,
  secondaryCountsFromGroups,
  type PrimaryCounts,
  type RegistryCountGroup,
  type ReplicableDefinition,
  type SecondaryCounts,
  type StateCountGroup,
} from '@geo/domain';
import { mappingPgErrors } from '../errors';
import { replicableRowCounts, rowCountsReadSql, type RowCountsSpec } from '../schema/row-counts-ddl';
import type { SqlExecutor } from '../transaction';
import type { PrimaryStatusCountsReader, RegistryStatusCountsReader } from './status-counts';

/** One group of a counter: its group column values in `spec.groupColumns` order, and its row count. */
interface CountedGroup {
  readonly values: readonly number[];
  readonly count: number;
}

type CountRow = Record<string, number | string>;

/**
 * Folds and reads one counter (`rowCountsReadSql`, ADR 0006). Must run at READ COMMITTED (a pool, or a
 * transaction at the default isolation): under REPEATABLE READ the fold can fail with a serialization
 * error when another fold committed first (mapped to a retryable CONFLICT).
 */
async function readCounter(db: SqlExecutor, spec: RowCountsSpec): Promise<CountedGroup[]> {
  const rows = await mappingPgErrors(`read row counts of ${spec.table}`, async () => (await db.query<CountRow>(rowCountsReadSql(spec))).rows);
  return rows.map((row) => {
    const count = Number(row['count']);
    const values = spec.groupColumns.map((c) => Number(row[c]));
    // A negative or non-integer sum means rows changed without the triggers seeing them (triggers
    // disabled, session_replication_role = replica): the counter is wrong and must be reinstalled.
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new GeoError(ErrorCodes.INTERNAL, `${spec.countsTable} holds an impossible count ${String(row['count'])} for (${values.join(', ')}); recount it by re-running its install (ADR 0006)`, {
        details: { table: spec.table, countsTable: spec.countsTable, group: values, count: row['count'] },
      });
    }
    return { values, count };
  });
}

/**
 * Secondary status counts (spec §8.1) from the registry's trigger-maintained counter
 * (`<name>_registry_row_counts`): reads about one row per (state, verification_state) group, however
 * many registry rows there are. Exact: equal to `COUNT(*) … GROUP BY state, verification_state` at
 * the statement's snapshot.
 */
export class PgRegistryStatusCounts implements RegistryStatusCountsReader {
  constructor(private readonly db: SqlExecutor) {}

  /** Registry rows per (state, verification_state); groups without rows are absent. */
  async registryGroups(def: ReplicableDefinition): Promise<RegistryCountGroup[]> {
    const groups = await readCounter(this.db, replicableRowCounts(def).registry);
    return groups.map(({ values: [state, verificationState], count }) => ({
      state: decodeSyncState(state ?? Number.NaN),
      verificationState: decodeVerificationState(verificationState ?? Number.NaN),
      count,
    }));
  }

  async registryCounts(def: ReplicableDefinition): Promise<SecondaryCounts> {
    return secondaryCountsFromGroups(await this.registryGroups(def));
  }
}

/**
 * Primary status counts (spec §8.1) from the model table's and the `<name>_states` table's
 * trigger-maintained counters. The two are read by separate statements (possibly on two pooled
 * connections at once), so they may come from two snapshots a few milliseconds apart, as GitLab's
 * separately collected metrics do.
 */
export class PgPrimaryStatusCounts implements PrimaryStatusCountsReader {
  constructor(private readonly db: SqlExecutor) {}

  /** Model rows (`count` on the primary): every record of the type. */
  async modelCount(def: ReplicableDefinition): Promise<number> {
    const groups = await readCounter(this.db, replicableRowCounts(def).model);
    return groups.reduce((sum, g) => sum + g.count, 0);
  }

  /** State rows per verification state; states without rows are absent. */
  async stateGroups(def: ReplicableDefinition): Promise<StateCountGroup[]> {
    const groups = await readCounter(this.db, replicableRowCounts(def).states);
    return groups.map(({ values: [verificationState], count }) => ({
      verificationState: decodeVerificationState(verificationState ?? Number.NaN),
      count,
    }));
  }

  async primaryCounts(def: ReplicableDefinition): Promise<PrimaryCounts> {
    const [modelCount, groups] = await Promise.all([this.modelCount(def), this.stateGroups(def)]);
    return primaryCountsFromGroups(modelCount, groups);
  }
}
