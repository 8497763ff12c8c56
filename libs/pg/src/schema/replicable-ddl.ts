import { SyncStates, VerificationStates, type ReplicableDefinition } from '@geo/domain';
import { gitlabTextLimitCheckName, railsForeignKeyName, railsIndexName, sqlIdentifier } from './naming';
import { replicableRowCountsDdl } from './row-counts-ddl';

/**
 * DDL for one table: statements to run in order inside the migration's transaction. The table's
 * status counters (row-counts-ddl.ts) come last.
 */
export interface TableDdl {
  readonly table: string;
  readonly statements: readonly string[];
}

/**
 * The two tables every replicable needs, each in its own database: the registry lives in the
 * secondary's tracking database, the verification state table in the primary's main database.
 */
export interface ReplicableDdl {
  /** `<name>_registry` (tracking DB, role `secondary`). */
  readonly registry: TableDdl;
  /** `<name>_states` (main DB, role `primary`). */
  readonly states: TableDdl;
}

const TIMESTAMPTZ = 'timestamp with time zone';
/** Rails `t.text … limit: 255` becomes `text` plus a CHECK constraint in GitLab (no varchar). */
const TEXT_LIMIT = 255;

// State values in index predicates, written as PostgreSQL prints them back (pg_indexes).
const SYNCED = SyncStates.synced;
const V_PENDING = VerificationStates.verification_pending;
const V_FAILED = VerificationStates.verification_failed;

interface IndexSpec {
  readonly name: string;
  readonly unique?: boolean;
  /** Column expression including ordering, e.g. `verified_at NULLS FIRST`. */
  readonly column: string;
  readonly where?: string;
}

function createIndex(table: string, index: IndexSpec): string {
  const unique = index.unique === true ? 'UNIQUE ' : '';
  const where = index.where === undefined ? '' : ` WHERE ${index.where}`;
  return `CREATE ${unique}INDEX ${sqlIdentifier(index.name)} ON ${table} USING btree (${index.column})${where}`;
}

function textLimitCheck(table: string, column: string): string {
  return `CONSTRAINT ${gitlabTextLimitCheckName(table, column)} CHECK ((char_length(${column}) <= ${TEXT_LIMIT}))`;
}

function createTable(table: string, lines: readonly string[]): string {
  return `CREATE TABLE ${table} (\n    ${lines.join(',\n    ')}\n)`;
}

function registryDdl(def: ReplicableDefinition): TableDdl {
  const table = sqlIdentifier(def.registryTable);
  const fk = sqlIdentifier(def.modelForeignKey);
  // Column order is the seed migration's (GitLab column-order guidelines). No foreign key to the
  // model: it lives in another database, so deletions are propagated by the application.
  const columns = [
    'id bigserial PRIMARY KEY',
    `${fk} bigint NOT NULL`,
    `created_at ${TIMESTAMPTZ} NOT NULL`,
    `last_synced_at ${TIMESTAMPTZ}`,
    `retry_at ${TIMESTAMPTZ}`,
    `verified_at ${TIMESTAMPTZ}`,
    `verification_started_at ${TIMESTAMPTZ}`,
    `verification_retry_at ${TIMESTAMPTZ}`,
    'state smallint DEFAULT 0 NOT NULL',
    'verification_state smallint DEFAULT 0 NOT NULL',
    'retry_count smallint DEFAULT 0 NOT NULL',
    'verification_retry_count smallint DEFAULT 0 NOT NULL',
    'checksum_mismatch boolean DEFAULT false NOT NULL',
    'verification_checksum bytea',
    'verification_checksum_mismatched bytea',
    'verification_failure text',
    'last_sync_failure text',
    textLimitCheck(table, 'verification_failure'),
    textLimitCheck(table, 'last_sync_failure'),
  ];
  const indexes: IndexSpec[] = [
    { name: railsIndexName(table, [fk]), unique: true, column: fk },
    { name: railsIndexName(table, ['retry_at']), column: 'retry_at' },
    { name: railsIndexName(table, ['state']), column: 'state' },
    {
      name: `${table}_failed_verification`,
      column: 'verification_retry_at NULLS FIRST',
      where: `((state = ${SYNCED}) AND (verification_state = ${V_FAILED}))`,
    },
    {
      name: `${table}_needs_verification`,
      column: 'verification_state',
      where: `((state = ${SYNCED}) AND (verification_state = ANY (ARRAY[${V_PENDING}, ${V_FAILED}])))`,
    },
    {
      name: `${table}_pending_verification`,
      column: 'verified_at NULLS FIRST',
      where: `((state = ${SYNCED}) AND (verification_state = ${V_PENDING}))`,
    },
  ];
  return { table, statements: [createTable(table, columns), ...indexes.map((i) => createIndex(table, i))] };
}

function statesDdl(def: ReplicableDefinition): TableDdl {
  const table = sqlIdentifier(def.stateTable);
  const fk = sqlIdentifier(def.modelForeignKey);
  const modelTable = sqlIdentifier(def.source.table);
  // `t.references …, null: false, index: { unique: true }, foreign_key: { on_delete: :cascade }`:
  // a state row lives and dies with its model row.
  const columns = [
    'id bigserial PRIMARY KEY',
    `verification_started_at ${TIMESTAMPTZ}`,
    `verification_retry_at ${TIMESTAMPTZ}`,
    `verified_at ${TIMESTAMPTZ}`,
    `${fk} bigint NOT NULL`,
    'verification_state smallint DEFAULT 0 NOT NULL',
    'verification_retry_count smallint DEFAULT 0 NOT NULL',
    'verification_checksum bytea',
    'verification_failure text',
    textLimitCheck(table, 'verification_failure'),
    `CONSTRAINT ${railsForeignKeyName(table, fk)} FOREIGN KEY (${fk}) REFERENCES ${modelTable}(id) ON DELETE CASCADE`,
  ];
  const indexes: IndexSpec[] = [
    { name: railsIndexName(table, [fk]), unique: true, column: fk },
    { name: `index_${table}_on_verification_state`, column: 'verification_state' },
    { name: `index_${table}_pending_verification`, column: 'verified_at NULLS FIRST', where: `(verification_state = ${V_PENDING})` },
    { name: `index_${table}_failed_verification`, column: 'verification_retry_at NULLS FIRST', where: `(verification_state = ${V_FAILED})` },
    {
      name: `index_${table}_needs_verification`,
      column: 'verification_state',
      where: `((verification_state = ${V_PENDING}) OR (verification_state = ${V_FAILED}))`,
    },
  ];
  return { table, statements: [createTable(table, columns), ...indexes.map((i) => createIndex(table, i))] };
}

/**
 * The registry and verification-state table DDL of a replicable, derived only from its definition
 * (`registryTable`, `stateTable`, `modelForeignKey`, `source.table`): the seed issue's two Rails
 * migrations, as GitLab's structure.sql renders them, each followed by the status counters of its
 * database (ADR 0006: the registry's on secondaries; the model table's and the states table's on
 * the primary). A new type never hand-copies this DDL.
 */
export function replicableDdl(def: ReplicableDefinition): ReplicableDdl {
  const registry = registryDdl(def);
  const states = statesDdl(def);
  const counters = replicableRowCountsDdl(def);
  return {
    registry: { table: registry.table, statements: [...registry.statements, ...counters.secondary] },
    states: { table: states.table, statements: [...states.statements, ...counters.primary] },
  };
}
