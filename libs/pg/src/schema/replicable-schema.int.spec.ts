import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { Client } from 'pg';
import { migrate } from '../migrations/runner';

/**
 * The tables PostgreSQL actually holds after migrating, compared with an expectation written BY
 * HAND from the seed issue's two Rails migrations (spec/seed-issue.md) as GitLab's structure.sql
 * renders them. Deliberately not derived from the generator.
 */

type Column = [name: string, dataType: string, nullable: 'YES' | 'NO', defaultValue: string | null];

const REGISTRY_COLUMNS: Column[] = [
  ['id', 'bigint', 'NO', "nextval('packages_nuget_symbol_registry_id_seq'::regclass)"],
  ['packages_nuget_symbol_id', 'bigint', 'NO', null],
  ['created_at', 'timestamp with time zone', 'NO', null],
  ['last_synced_at', 'timestamp with time zone', 'YES', null],
  ['retry_at', 'timestamp with time zone', 'YES', null],
  ['verified_at', 'timestamp with time zone', 'YES', null],
  ['verification_started_at', 'timestamp with time zone', 'YES', null],
  ['verification_retry_at', 'timestamp with time zone', 'YES', null],
  ['state', 'smallint', 'NO', '0'],
  ['verification_state', 'smallint', 'NO', '0'],
  ['retry_count', 'smallint', 'NO', '0'],
  ['verification_retry_count', 'smallint', 'NO', '0'],
  ['checksum_mismatch', 'boolean', 'NO', 'false'],
  ['verification_checksum', 'bytea', 'YES', null],
  ['verification_checksum_mismatched', 'bytea', 'YES', null],
  ['verification_failure', 'text', 'YES', null],
  ['last_sync_failure', 'text', 'YES', null],
];

const R = 'public.packages_nuget_symbol_registry';
const REGISTRY_INDEXES: Record<string, string> = {
  packages_nuget_symbol_registry_pkey: `CREATE UNIQUE INDEX packages_nuget_symbol_registry_pkey ON ${R} USING btree (id)`,
  // The seed's name `index_packages_nuget_symbol_registry_on_packages_nuget_symbol_id` is 64
  // characters; PostgreSQL keeps 63 (GitLab itself later shipped `index_pkgs_nuget_symbol_registry_on_pkgs_nuget_symbol_id`).
  index_packages_nuget_symbol_registry_on_packages_nuget_symbol_i: `CREATE UNIQUE INDEX index_packages_nuget_symbol_registry_on_packages_nuget_symbol_i ON ${R} USING btree (packages_nuget_symbol_id)`,
  index_packages_nuget_symbol_registry_on_retry_at: `CREATE INDEX index_packages_nuget_symbol_registry_on_retry_at ON ${R} USING btree (retry_at)`,
  index_packages_nuget_symbol_registry_on_state: `CREATE INDEX index_packages_nuget_symbol_registry_on_state ON ${R} USING btree (state)`,
  packages_nuget_symbol_registry_failed_verification: `CREATE INDEX packages_nuget_symbol_registry_failed_verification ON ${R} USING btree (verification_retry_at NULLS FIRST) WHERE ((state = 2) AND (verification_state = 3))`,
  packages_nuget_symbol_registry_needs_verification: `CREATE INDEX packages_nuget_symbol_registry_needs_verification ON ${R} USING btree (verification_state) WHERE ((state = 2) AND (verification_state = ANY (ARRAY[0, 3])))`,
  packages_nuget_symbol_registry_pending_verification: `CREATE INDEX packages_nuget_symbol_registry_pending_verification ON ${R} USING btree (verified_at NULLS FIRST) WHERE ((state = 2) AND (verification_state = 0))`,
  // Added by migration 20261125100003 for the secondary's verification timeout sweep.
  index_packages_nuget_symbol_registry_verification_started: `CREATE INDEX index_packages_nuget_symbol_registry_verification_started ON ${R} USING btree (verification_started_at) WHERE (verification_state = 1)`,
};

// Constraint names as in GitLab's ee/db/geo/structure.sql.
const REGISTRY_CONSTRAINTS: Record<string, string> = {
  packages_nuget_symbol_registry_pkey: 'PRIMARY KEY (id)',
  check_353acf9c46: 'CHECK ((char_length(last_sync_failure) <= 255))',
  check_4b08fc53d8: 'CHECK ((char_length(verification_failure) <= 255))',
};

const STATES_COLUMNS: Column[] = [
  ['id', 'bigint', 'NO', "nextval('packages_nuget_symbol_states_id_seq'::regclass)"],
  ['verification_started_at', 'timestamp with time zone', 'YES', null],
  ['verification_retry_at', 'timestamp with time zone', 'YES', null],
  ['verified_at', 'timestamp with time zone', 'YES', null],
  ['packages_nuget_symbol_id', 'bigint', 'NO', null],
  ['verification_state', 'smallint', 'NO', '0'],
  ['verification_retry_count', 'smallint', 'NO', '0'],
  ['verification_checksum', 'bytea', 'YES', null],
  ['verification_failure', 'text', 'YES', null],
];

const S = 'public.packages_nuget_symbol_states';
const STATES_INDEXES: Record<string, string> = {
  packages_nuget_symbol_states_pkey: `CREATE UNIQUE INDEX packages_nuget_symbol_states_pkey ON ${S} USING btree (id)`,
  index_packages_nuget_symbol_states_on_packages_nuget_symbol_id: `CREATE UNIQUE INDEX index_packages_nuget_symbol_states_on_packages_nuget_symbol_id ON ${S} USING btree (packages_nuget_symbol_id)`,
  index_packages_nuget_symbol_states_on_verification_state: `CREATE INDEX index_packages_nuget_symbol_states_on_verification_state ON ${S} USING btree (verification_state)`,
  index_packages_nuget_symbol_states_pending_verification: `CREATE INDEX index_packages_nuget_symbol_states_pending_verification ON ${S} USING btree (verified_at NULLS FIRST) WHERE (verification_state = 0)`,
  // Not in the seed: ours, for the reverification sweep (migration 20261125100001).
  index_packages_nuget_symbol_states_succeeded_verified_at: `CREATE INDEX index_packages_nuget_symbol_states_succeeded_verified_at ON ${S} USING btree (verified_at) WHERE (verification_state = 2)`,
  index_packages_nuget_symbol_states_failed_verification: `CREATE INDEX index_packages_nuget_symbol_states_failed_verification ON ${S} USING btree (verification_retry_at NULLS FIRST) WHERE (verification_state = 3)`,
  index_packages_nuget_symbol_states_needs_verification: `CREATE INDEX index_packages_nuget_symbol_states_needs_verification ON ${S} USING btree (verification_state) WHERE ((verification_state = 0) OR (verification_state = 3))`,
};

const STATES_CONSTRAINT_DEFS = [
  'PRIMARY KEY (id)',
  'CHECK ((char_length(verification_failure) <= 255))',
  'FOREIGN KEY (packages_nuget_symbol_id) REFERENCES packages_nuget_symbols(id) ON DELETE CASCADE',
];

async function columnsOf(client: Client, table: string): Promise<Column[]> {
  const { rows } = await client.query<{ column_name: string; data_type: string; is_nullable: 'YES' | 'NO'; column_default: string | null }>(
    `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => [r.column_name, r.data_type, r.is_nullable, r.column_default]);
}

async function indexesOf(client: Client, table: string): Promise<Record<string, string>> {
  const { rows } = await client.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = $1`,
    [table],
  );
  return Object.fromEntries(rows.map((r) => [r.indexname, r.indexdef]));
}

async function constraintsOf(client: Client, table: string): Promise<Record<string, string>> {
  const { rows } = await client.query<{ conname: string; def: string }>(
    `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass`,
    [table],
  );
  return Object.fromEntries(rows.map((r) => [r.conname, r.def]));
}

describe('generated replicable tables match the seed', () => {
  let primaryDb: TestDatabase;
  let trackingDb: TestDatabase;
  let primary: Client;
  let tracking: Client;

  beforeAll(async () => {
    primaryDb = await createTestDatabase('geo_pg_schema_primary');
    trackingDb = await createTestDatabase('geo_pg_schema_tracking');
    await migrate({ role: 'primary', databaseUrl: primaryDb.url });
    await migrate({ role: 'secondary', databaseUrl: trackingDb.url });
    primary = new Client({ connectionString: primaryDb.url });
    tracking = new Client({ connectionString: trackingDb.url });
    await primary.connect();
    await tracking.connect();
  });

  afterAll(async () => {
    await primary?.end();
    await tracking?.end();
    await primaryDb?.drop();
    await trackingDb?.drop();
  });

  it('packages_nuget_symbol_registry: columns in order, types, nullability, defaults', async () => {
    expect(await columnsOf(tracking, 'packages_nuget_symbol_registry')).toEqual(REGISTRY_COLUMNS);
  });

  it('packages_nuget_symbol_registry: indexes with names, predicates and NULLS FIRST', async () => {
    expect(await indexesOf(tracking, 'packages_nuget_symbol_registry')).toEqual(REGISTRY_INDEXES);
  });

  it('packages_nuget_symbol_registry: CHECK constraints and no foreign key (the model is in another database)', async () => {
    expect(await constraintsOf(tracking, 'packages_nuget_symbol_registry')).toEqual(REGISTRY_CONSTRAINTS);
  });

  it('packages_nuget_symbol_states: columns in order, types, nullability, defaults', async () => {
    expect(await columnsOf(primary, 'packages_nuget_symbol_states')).toEqual(STATES_COLUMNS);
  });

  it('packages_nuget_symbol_states: indexes with names, predicates and NULLS FIRST', async () => {
    expect(await indexesOf(primary, 'packages_nuget_symbol_states')).toEqual(STATES_INDEXES);
  });

  it('packages_nuget_symbol_states: CHECK and cascading foreign key to packages_nuget_symbols', async () => {
    const constraints = await constraintsOf(primary, 'packages_nuget_symbol_states');
    expect(Object.values(constraints).sort()).toEqual([...STATES_CONSTRAINT_DEFS].sort());
    expect(Object.keys(constraints).sort()).toEqual(
      expect.arrayContaining([expect.stringMatching(/^check_[0-9a-f]{10}$/), expect.stringMatching(/^fk_rails_[0-9a-f]{10}$/)]),
    );
  });

  it('each role gets only its own replicable table', async () => {
    const exists = async (c: Client, t: string) => (await c.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [t])).rows[0]?.ok;
    expect(await exists(primary, 'packages_nuget_symbol_registry')).toBe(false);
    expect(await exists(tracking, 'packages_nuget_symbol_states')).toBe(false);
  });
});
