import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, registerRegistryRepoTests } from '@geo/testing';
import { createPool } from '../pool';
import { migrate } from '../migrations/runner';
import { PgRegistryRepository } from './registry-repository';

registerRegistryRepoTests(`pg ${packagesNugetSymbol.name}`, async () => {
  const db = await createTestDatabase('geo_pg_registry');
  await migrate({ role: 'secondary', databaseUrl: db.url }).catch(async (error: unknown) => {
    await db.drop();
    throw error;
  });
  const pool = createPool({ databaseUrl: db.url, max: 4 });
  return {
    repo: new PgRegistryRepository(pool, packagesNugetSymbol),
    async close() {
      await pool.end();
      await db.drop();
    },
  };
});
