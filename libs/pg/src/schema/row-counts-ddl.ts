import type { ReplicableDefinition } from '@geo/domain';
import { sqlIdentifier } from './naming';

/**
 * Exact row counts of a table, per group of its state columns, maintained by triggers so that status
 * never scans the table (ADR 0006). The counts live in `<table>_row_counts`, an append-only table of
 * signed deltas: every INSERT, UPDATE, DELETE or COPY statement on the counted table appends one row
 * per group whose size it changed (statement-level triggers aggregating the statement's transition
 * tables). Folding replaces a group's rows by one row holding their sum; every read folds, and about
 * one write statement in `FOLD_EVERY_STATEMENTS` folds too, so what a read finds unfolded stays
 * bounded however fast rows change.
 *
 * Invariant: at every committed point, `sum(count)` over a group's rows equals `COUNT(*)` of the
 * counted table's rows in that group. It holds because each writer's deltas commit or roll back with
 * its own rows, and folding (delete some rows, insert their sum) is sum-preserving and atomic.
 * Writers only ever INSERT into the counts table, so concurrent writers never wait on each other
 * there. Anything that bypasses triggers (`session_replication_role = replica`,
 * `ALTER TABLE … DISABLE TRIGGER`) breaks the invariant; re-running `rowCountsDdl` recounts.
 */
export interface RowCountsSpec {
  /** The counted table, e.g. `packages_nuget_symbol_registry`. */
  readonly table: string;
  /** Where its counts live: `<table>_row_counts`. */
  readonly countsTable: string;
  /** The trigger function maintaining them: `<table>_row_counts_maintain`. */
  readonly functionName: string;
  /** NOT NULL smallint columns the counts are grouped by, in order; empty counts all rows as one group. */
  readonly groupColumns: readonly string[];
}

/**
 * The counters of one replicable type. Named after the counted table (not the type), so two types
 * sharing a model table would share, not duplicate, its counter.
 */
export interface ReplicableRowCounts {
  /** Tracking database (secondaries): registry rows per (sync state, verification state). */
  readonly registry: RowCountsSpec;
  /** Main database (primary): `<name>_states` rows per verification state. */
  readonly states: RowCountsSpec;
  /** Main database (primary): all model rows (spec §8.1 primary `count`). */
  readonly model: RowCountsSpec;
}

/** Transition table names the trigger function reads (fixed by the CREATE TRIGGER statements below). */
const NEW_ROWS = 'new_rows';
const OLD_ROWS = 'old_rows';

/**
 * On average one write statement in this many also folds the counter (the trigger draws `random()`).
 * Every delta row is folded once whoever does it (about 1.6 µs per row); this bounds what a status
 * read finds unfolded to about two thousand rows instead of a minute of writes, while a fold's fixed
 * cost (scanning the counts table) is spread over many statements. ADR 0006 has the numbers.
 */
export const FOLD_EVERY_STATEMENTS = 1024;

/** Statements changing more rows than this aggregate their transition table with a fresh plan (see deltaBranch). */
const CACHED_PLAN_MAX_ROWS = 1000;

/** Dead rows after which autovacuum vacuums a counts table (storage parameter `autovacuum_vacuum_threshold`). */
const VACUUM_AFTER_DEAD_ROWS = 5000;

/** Every name is checked here, so a table whose derived names PostgreSQL would truncate fails early. */
export function rowCountsSpec(table: string, groupColumns: readonly string[]): RowCountsSpec {
  return Object.freeze({
    table: sqlIdentifier(table),
    countsTable: sqlIdentifier(`${table}_row_counts`),
    functionName: sqlIdentifier(`${table}_row_counts_maintain`),
    groupColumns: Object.freeze(groupColumns.map(sqlIdentifier)),
  });
}

export function replicableRowCounts(def: ReplicableDefinition): ReplicableRowCounts {
  return {
    registry: rowCountsSpec(def.registryTable, ['state', 'verification_state']),
    states: rowCountsSpec(def.stateTable, ['verification_state']),
    model: rowCountsSpec(def.source.table, []),
  };
}

/** `a, b, ` (with the trailing separator) or '' when ungrouped, to prefix `count`. */
function columnsPrefix(columns: readonly string[]): string {
  return columns.map((c) => `${c}, `).join('');
}

function groupByClause(columns: readonly string[]): string {
  return columns.length === 0 ? '' : ` GROUP BY ${columns.join(', ')}`;
}

/**
 * One delta row per group the statement changed. An UPDATE contributes +1 per new row and −1 per old
 * row; groups that net to zero (the update did not move rows between groups) write nothing. An
 * ungrouped table is never counted on UPDATE (its size cannot change).
 */
function deltaInsert(spec: RowCountsSpec, op: 'INSERT' | 'UPDATE' | 'DELETE'): string {
  const cols = columnsPrefix(spec.groupColumns);
  const groupBy = groupByClause(spec.groupColumns);
  const into = `INSERT INTO ${spec.countsTable} (${cols}count)`;
  switch (op) {
    case 'INSERT':
      return `${into} SELECT ${cols}count(*) FROM ${NEW_ROWS}${groupBy} HAVING count(*) > 0`;
    case 'DELETE':
      return `${into} SELECT ${cols}-count(*) FROM ${OLD_ROWS}${groupBy} HAVING count(*) > 0`;
    case 'UPDATE':
      return (
        `${into} SELECT ${cols}sum(delta) FROM (` +
        `SELECT ${cols}1 AS delta FROM ${NEW_ROWS} UNION ALL SELECT ${cols}-1 FROM ${OLD_ROWS}` +
        `) AS moved${groupBy} HAVING sum(delta) <> 0`
      );
  }
}

/**
 * The CTEs that fold a counter: its rows (`all`, one scan) or only the rows of groups holding more
 * than one (`split-groups`, so a folded counter is left untouched) are claimed with
 * `FOR UPDATE SKIP LOCKED` (never waiting: concurrent folds claim disjoint rows, and rows a writer's
 * own fold still holds are left for later), deleted by TID, and replaced by one row per group with
 * their sum (none when it is zero). Sum-preserving and atomic, so every snapshot still sees exact
 * counts. Needs READ COMMITTED: under REPEATABLE READ a row folded by a concurrent commit raises a
 * serialization error.
 */
function foldCtes(spec: RowCountsSpec, scope: 'all' | 'split-groups'): string {
  const t = spec.countsTable;
  const cols = spec.groupColumns;
  const list = columnsPrefix(cols);
  const groupBy = groupByClause(cols);
  const splitGroups =
    cols.length === 0
      ? `(SELECT count(*) FROM ${t}) > 1`
      : `(${cols.join(', ')}) IN (SELECT ${cols.join(', ')} FROM ${t}${groupBy} HAVING count(*) > 1)`;
  const where = scope === 'all' ? '' : ` WHERE ${splitGroups}`;
  return (
    `claimed AS (SELECT ctid FROM ${t}${where} FOR UPDATE SKIP LOCKED), ` +
    `removed AS (DELETE FROM ${t} WHERE ctid = ANY (ARRAY(SELECT ctid FROM claimed)) RETURNING ${list}count), ` +
    `folded AS (INSERT INTO ${t} (${list}count) SELECT ${list}sum(count) FROM removed${groupBy} HAVING sum(count) <> 0)`
  );
}

/**
 * One statement that folds the counter and returns its groups (`groupColumns…, count`; groups summing
 * to zero omitted). Its final SELECT reads the statement's snapshot, which the fold's own changes do
 * not alter, so the sums are the exact counts at that snapshot. Once folded, the counter holds one row
 * per non-empty group and the statement writes nothing.
 */
export function rowCountsReadSql(spec: RowCountsSpec): string {
  const list = columnsPrefix(spec.groupColumns);
  const groupBy = groupByClause(spec.groupColumns);
  return `WITH ${foldCtes(spec, 'split-groups')} SELECT ${list}sum(count)::bigint AS count FROM ${spec.countsTable}${groupBy} HAVING sum(count) <> 0`;
}

/**
 * Runs a delta statement. Grouped statements aggregate with a HashAggregate that PostgreSQL sizes
 * from the estimated number of groups, 10 % of the transition table's rows at planning time, and
 * PL/pgSQL plans a static statement once per session: after a 100k-row statement came first, every
 * later one-row statement of that connection allocated a 0.8 MB hash table (+50 µs each, measured).
 * So statements over `CACHED_PLAN_MAX_ROWS` rows are planned afresh (EXECUTE, planning is noise
 * next to their size), and the cached plan only ever sees small transition tables.
 */
function deltaBranch(spec: RowCountsSpec, op: 'INSERT' | 'UPDATE' | 'DELETE'): string {
  const sql = deltaInsert(spec, op);
  if (spec.groupColumns.length === 0) return `${sql};`;
  const probed = op === 'DELETE' ? OLD_ROWS : NEW_ROWS;
  return (
    `PERFORM FROM ${probed} OFFSET ${CACHED_PLAN_MAX_ROWS} LIMIT 1;\n` +
    `    IF FOUND THEN\n      EXECUTE ${sqlString(sql)};\n    ELSE\n      ${sql};\n    END IF;`
  );
}

function triggerFunction(spec: RowCountsSpec): string {
  const grouped = spec.groupColumns.length > 0;
  const branches = [
    `IF TG_OP = 'INSERT' THEN\n    ${deltaBranch(spec, 'INSERT')}`,
    ...(grouped ? [`ELSIF TG_OP = 'UPDATE' THEN\n    ${deltaBranch(spec, 'UPDATE')}`] : []),
    `ELSIF TG_OP = 'DELETE' THEN\n    ${deltaBranch(spec, 'DELETE')}`,
    // TRUNCATE holds ACCESS EXCLUSIVE on the counted table, so no writer can add deltas meanwhile;
    // TRUNCATE (not DELETE) of the counts also waits for folds in progress and removes the rows they
    // insert, which a DELETE's snapshot could miss.
    `ELSIF TG_OP = 'TRUNCATE' THEN\n    TRUNCATE ${spec.countsTable};\n    RETURN NULL;`,
    `END IF;`,
    // Amortised folding by writers (one scan of the counts table), only where it cannot fail them.
    `IF random() < ${1 / FOLD_EVERY_STATEMENTS} AND current_setting('transaction_isolation') = 'read committed' THEN\n` +
      `    WITH ${foldCtes(spec, 'all')} SELECT count(*) INTO folded_rows FROM removed;\n  END IF;`,
  ];
  return (
    `CREATE OR REPLACE FUNCTION ${spec.functionName}() RETURNS trigger LANGUAGE plpgsql AS $$\n` +
    `DECLARE\n  folded_rows bigint;\nBEGIN\n  ${branches.join('\n  ')}\n  RETURN NULL;\nEND\n$$`
  );
}

function triggers(spec: RowCountsSpec): string[] {
  const fn = `EXECUTE FUNCTION ${spec.functionName}()`;
  const on = `ON ${spec.table}`;
  const each = 'FOR EACH STATEMENT';
  return [
    // Statement-level with transition tables: one call per statement (COPY included), however many rows.
    `CREATE OR REPLACE TRIGGER row_counts_after_insert AFTER INSERT ${on} REFERENCING NEW TABLE AS ${NEW_ROWS} ${each} ${fn}`,
    ...(spec.groupColumns.length > 0
      ? [`CREATE OR REPLACE TRIGGER row_counts_after_update AFTER UPDATE ${on} REFERENCING OLD TABLE AS ${OLD_ROWS} NEW TABLE AS ${NEW_ROWS} ${each} ${fn}`]
      : []),
    `CREATE OR REPLACE TRIGGER row_counts_after_delete AFTER DELETE ${on} REFERENCING OLD TABLE AS ${OLD_ROWS} ${each} ${fn}`,
    `CREATE OR REPLACE TRIGGER row_counts_after_truncate AFTER TRUNCATE ${on} ${each} ${fn}`,
  ];
}

/**
 * Installs (or reinstalls) the counter of `spec.table` and recounts it: idempotent, so it serves both
 * a new table (empty, in the migration creating it) and a table that already holds rows. The
 * counted table is locked against writes (SHARE ROW EXCLUSIVE; reads continue) until the migration
 * commits, so no row can change between the recount and the triggers taking over. Deltas left by a
 * previous install are discarded by the recount.
 */
export function rowCountsDdl(spec: RowCountsSpec): string[] {
  const cols = columnsPrefix(spec.groupColumns);
  const columnDefs = [...spec.groupColumns.map((c) => `${c} smallint NOT NULL`), 'count bigint NOT NULL'];
  const groupBy = groupByClause(spec.groupColumns);
  return [
    `LOCK TABLE ${spec.table} IN SHARE ROW EXCLUSIVE MODE`,
    `CREATE TABLE IF NOT EXISTS ${spec.countsTable} (\n    ${columnDefs.join(',\n    ')}\n)`,
    // Every delta row dies when it is folded, so the table churns about two rows per write statement
    // on the counted table. Vacuum it on every autovacuum round that finds a few thousand dead rows,
    // unthrottled (it is small), instead of waiting for 20 % of a table that is mostly dead rows.
    `ALTER TABLE ${spec.countsTable} SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = ${VACUUM_AFTER_DEAD_ROWS}, autovacuum_vacuum_cost_delay = 0)`,
    `COMMENT ON TABLE ${spec.countsTable} IS ${sqlString(
      `Row counts of ${spec.table}${spec.groupColumns.length > 0 ? ` per (${spec.groupColumns.join(', ')})` : ''}: ` +
        `signed deltas appended by its row_counts_* triggers; sum(count) per group = COUNT(*). Never edit by hand (ADR 0006).`,
    )}`,
    triggerFunction(spec),
    ...triggers(spec),
    `TRUNCATE ${spec.countsTable}`,
    `INSERT INTO ${spec.countsTable} (${cols}count) SELECT ${cols}count(*) FROM ${spec.table}${groupBy} HAVING count(*) > 0`,
  ];
}

/** A SQL string literal (the text is ours, but quote it properly anyway). */
function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** The counters of a replicable type per database role, in the order a migration runs them. */
export interface ReplicableRowCountsDdl {
  /** Tracking database: the registry's counter. */
  readonly secondary: readonly string[];
  /**
   * Main database: the model table's counter, then the states table's. Writers touch the model table
   * first too (a symbol and its state row are inserted in that order; deletes cascade from the model),
   * so the install's write locks are taken in the writers' order and cannot deadlock with them.
   */
  readonly primary: readonly string[];
}

export function replicableRowCountsDdl(def: ReplicableDefinition): ReplicableRowCountsDdl {
  const counts = replicableRowCounts(def);
  return { secondary: rowCountsDdl(counts.registry), primary: [...rowCountsDdl(counts.model), ...rowCountsDdl(counts.states)] };
}
