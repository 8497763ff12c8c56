import { ErrorCodes, isGeoError } from '@geo/domain';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { Client, type Pool } from 'pg';
import { createPool } from '../pool';
import { DATABASE_ROLES } from './role';
import { assertMigrated, migrate, migrationFiles, migrationName, migrationsTable } from './runner';

async function tables(url: string): Promise<string[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    return rows.map((r) => r.table_name);
  } finally {
    await c.end();
  }
}

describe.each(DATABASE_ROLES)('migrate(%s)', (role) => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase(`geo_pg_migrate_${role}`);
    pool = createPool({ databaseUrl: db.url, max: 2 });
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  it('refuses to pass assertMigrated on an empty database, naming what is missing', async () => {
    const error: unknown = await assertMigrated(pool, role).catch((e: unknown) => e);
    expect(isGeoError(error)).toBe(true);
    expect(error).toMatchObject({ code: ErrorCodes.SCHEMA_OUT_OF_DATE, details: { role, missing: migrationFiles(role).map(migrationName) } });
    expect((error as Error).message).toContain(`geo db migrate --role ${role}`);
  });

  it('applies every migration on an empty database, then a second run is a no-op', async () => {
    const first = await migrate({ role, databaseUrl: db.url });
    expect(first.applied).toEqual(migrationFiles(role).map(migrationName));
    const before = await tables(db.url);
    const second = await migrate({ role, databaseUrl: db.url });
    expect(second.applied).toEqual([]);
    expect(await tables(db.url)).toEqual(before);
    await expect(assertMigrated(pool, role)).resolves.toBeUndefined();
  });

  it('creates the role tables and records history in the role migrations table', async () => {
    await migrate({ role, databaseUrl: db.url }); // a no-op after the test above; makes this one stand alone
    const expected =
      role === 'primary'
        ? ['geo_events', 'geo_node_namespace_links', 'geo_node_statuses', 'geo_sites', 'namespaces', 'packages_nuget_symbol_states', 'packages_nuget_symbol_states_row_counts', 'packages_nuget_symbols', 'packages_nuget_symbols_row_counts', 'packages_package_files', 'packages_packages', 'projects']
        : ['geo_event_log_heartbeats', 'geo_event_log_states', 'geo_replicable_records', 'geo_sync_trace_contexts', 'packages_nuget_symbol_registry', 'packages_nuget_symbol_registry_row_counts'];
    expect(await tables(db.url)).toEqual([...expected, migrationsTable(role)].sort());
  });

  it('concurrent start-ups serialise on the advisory lock instead of failing', async () => {
    const fresh = await createTestDatabase(`geo_pg_migrate_race_${role}`);
    try {
      const results = await Promise.all([1, 2, 3].map(() => migrate({ role, databaseUrl: fresh.url })));
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, migrationFiles(role).length]);
    } finally {
      await fresh.drop();
    }
  });
});

describe('migrate errors', () => {
  it('maps an unreachable server to a retryable UNAVAILABLE error', async () => {
    await expect(migrate({ role: 'primary', databaseUrl: 'postgres://postgres@127.0.0.1:1/nope' })).rejects.toMatchObject({
      code: 'GEO_I0001',
      retryable: true,
    });
  });
});

describe('primary schema behaviour', () => {
  let db: TestDatabase;
  let client: Client;

  beforeAll(async () => {
    db = await createTestDatabase('geo_pg_primary_schema');
    await migrate({ role: 'primary', databaseUrl: db.url });
    client = new Client({ connectionString: db.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await db?.drop();
  });

  it('geo_sites gets the GitLab defaults (spec §8.4)', async () => {
    const { rows } = await client.query(
      "INSERT INTO geo_sites (name, url) VALUES ('eu', 'https://eu.example/') RETURNING \"primary\", enabled, files_max_capacity, repos_max_capacity, verification_max_capacity, container_repositories_max_capacity, minimum_reverification_interval, sync_object_storage, selective_sync_type, selective_sync_shards",
    );
    expect(rows[0]).toEqual({
      primary: false,
      enabled: true,
      files_max_capacity: 10,
      repos_max_capacity: 25,
      verification_max_capacity: 100,
      container_repositories_max_capacity: 10,
      minimum_reverification_interval: 7,
      sync_object_storage: false,
      selective_sync_type: null,
      selective_sync_shards: [],
    });
  });

  it('deleting a symbol cascades to its state row; deleting its package only nullifies package_id', async () => {
    await client.query("INSERT INTO namespaces (id, name, path) VALUES (1, 'g', 'g')");
    await client.query("INSERT INTO projects (id, name, path, namespace_id) VALUES (1, 'p', 'p', 1)");
    await client.query("INSERT INTO packages_packages (id, project_id, name, version, package_type) VALUES (1, 1, 'Pkg', '1.0.0', 4)");
    await client.query(
      `INSERT INTO packages_nuget_symbols (id, created_at, updated_at, package_id, size, file, file_path, signature, object_storage_key, project_id)
       VALUES (1, now(), now(), 1, 10, 'a.pdb', 'lib/a.pdb', 'sig1', 'key/1', 1), (2, now(), now(), 1, 10, 'b.pdb', 'lib/b.pdb', 'sig2', 'key/2', 1)`,
    );
    await client.query('INSERT INTO packages_nuget_symbol_states (packages_nuget_symbol_id) VALUES (1), (2)');
    await client.query('DELETE FROM packages_nuget_symbols WHERE id = 1');
    expect((await client.query('SELECT packages_nuget_symbol_id FROM packages_nuget_symbol_states')).rows).toEqual([{ packages_nuget_symbol_id: '2' }]);
    await client.query('DELETE FROM packages_packages WHERE id = 1');
    expect((await client.query('SELECT package_id FROM packages_nuget_symbols')).rows).toEqual([{ package_id: null }]);
    await expect(
      client.query(
        `INSERT INTO packages_nuget_symbols (created_at, updated_at, size, file, file_path, signature, object_storage_key)
         VALUES (now(), now(), 1, 'c.pdb', 'c.pdb', 's', 'key/2')`,
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'index_packages_nuget_symbols_on_object_storage_key' });
  });
});
