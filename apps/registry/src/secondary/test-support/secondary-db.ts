// Test support only: a migrated secondary database with the registry repositories.
import type { Pool } from 'pg';
import { createPool, migrate, PgRegistryAdminRepository, PgRegistryRepository, PgRegistrySweepRepository, PgReplicableRecordRepository } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';

/** An empty test database (`createTestDatabase()` from `@geo/testing`, which only specs may import). */
export interface EmptyDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

export interface SecondaryDb {
  readonly db: EmptyDatabase;
  readonly pool: Pool;
  readonly registry: PgRegistryRepository;
  readonly sweep: PgRegistrySweepRepository;
  readonly admin: PgRegistryAdminRepository;
  readonly records: PgReplicableRecordRepository;
  /** Rows of the registry table as `{ modelId, state }` (state as stored, 0..3), by model id. */
  states(): Promise<Map<number, number>>;
  close(): Promise<void>;
}

export const TABLE = packagesNugetSymbol.registryTable;
export const FK = packagesNugetSymbol.modelForeignKey;

/** Migrates `db` as a secondary and opens a pool on it; `close()` ends the pool and drops `db`. */
export async function secondaryDb(db: EmptyDatabase): Promise<SecondaryDb> {
  try {
    await migrate({ role: 'secondary', databaseUrl: db.url });
  } catch (error) {
    await db.drop();
    throw error;
  }
  const pool = createPool({ databaseUrl: db.url, max: 6 });
  return {
    db,
    pool,
    registry: new PgRegistryRepository(pool, packagesNugetSymbol),
    sweep: new PgRegistrySweepRepository(pool, packagesNugetSymbol),
    admin: new PgRegistryAdminRepository(pool, packagesNugetSymbol),
    records: new PgReplicableRecordRepository(pool),
    async states() {
      const result = await pool.query<{ model_id: string; state: number }>(`SELECT ${FK} AS model_id, state FROM ${TABLE}`);
      return new Map(result.rows.map((r) => [Number(r.model_id), r.state]));
    },
    async close() {
      await pool.end();
      await db.drop();
    },
  };
}
