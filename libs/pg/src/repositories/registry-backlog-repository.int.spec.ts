import type { Pool } from 'pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { migrate } from '../migrations/runner';
import { createPool } from '../pool';
import { PgRegistryBacklogRepository } from './registry-backlog-repository';

let db: TestDatabase;
let pool: Pool;
const TABLE = packagesNugetSymbol.registryTable;

beforeAll(async () => {
  db = await createTestDatabase('geo_pg_backlog');
  await migrate({ role: 'secondary', databaseUrl: db.url });
  pool = createPool({ databaseUrl: db.url, max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

beforeEach(async () => {
  await pool.query(`DELETE FROM ${TABLE}`);
});

/** Inserts one registry row per (state, retry_at offset in seconds or null). */
async function rows(...specs: Array<readonly [state: number, retryInSeconds: number | null]>): Promise<void> {
  let id = 0;
  for (const [state, retryIn] of specs) {
    id += 1;
    await pool.query(
      `INSERT INTO ${TABLE} (packages_nuget_symbol_id, created_at, state, retry_at) VALUES ($1, now(), $2, CASE WHEN $3::int IS NULL THEN NULL ELSE now() + make_interval(secs => $3::int) END)`,
      [id, state, retryIn],
    );
  }
}

describe('PgRegistryBacklogRepository.hasWork (what the scheduler would claim, or is syncing)', () => {
  it.each<[string, Array<readonly [number, number | null]>, boolean]>([
    ['empty registry', [], false],
    ['only synced rows', [[2, null], [2, -60]], false],
    ['a pending row', [[2, null], [0, null]], true],
    ['a started row', [[1, null]], true],
    ['a failed row whose retry is due', [[3, -5]], true],
    ['a failed row without retry_at', [[3, null]], true],
    ['only failed rows waiting for their retry', [[3, 3600], [2, null]], false],
  ])('%s → %p', async (_label, specs, expected) => {
    await rows(...specs);
    expect(await new PgRegistryBacklogRepository(pool, packagesNugetSymbol).hasWork()).toBe(expected);
  });
});
