/**
 * GitLab's `geo_<name>_replication` flag on a secondary's registry app (README: `false` pauses
 * syncing this type): with GEO_PACKAGES_NUGET_SYMBOL_REPLICATION=false the consistency sweep does
 * not backfill the primary's records; the same app with the flag on backfills them. Real processes
 * (the primary's catalogue and the secondary's registry app) against real PostgreSQL and NATS.
 */
import type { Pool } from 'pg';
import { createPool, migrate } from '@geo/pg';
import { appProcess, type AppProcess, createSitePair, freePort, seedPrimarySymbols, type SitePair, waitFor } from '@geo/testing';

jest.setTimeout(120_000);

const SYMBOLS = 3;
/** How long the paused registry is watched: well past its first sweep, which runs at start. */
const PAUSED_WATCH_MS = 4_000;

let sites: SitePair;
let primaryRegistry: AppProcess;
let secondaryRegistry: AppProcess | undefined;
let registryPort: number;

async function registryRows(pool: Pool): Promise<number> {
  return Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM packages_nuget_symbol_registry')).rows[0]!.n);
}

function secondaryRegistryWith(flag: 'true' | 'false'): AppProcess {
  return appProcess('registry', { ...sites.secondary.env, GEO_REGISTRY_GRPC_PORT: String(registryPort), GEO_PACKAGES_NUGET_SYMBOL_REPLICATION: flag });
}

beforeAll(async () => {
  const primaryRegistryPort = await freePort();
  registryPort = await freePort();
  sites = await createSitePair('registry_flag', {
    pg: { migrate, createPool },
    primaryGrpcUrl: `http://127.0.0.1:${primaryRegistryPort}`,
    primaryStatusGrpcUrl: 'http://127.0.0.1:1',
  });
  await seedPrimarySymbols(sites.primary.pool, SYMBOLS);
  primaryRegistry = appProcess('registry', { ...sites.primary.env, GEO_REGISTRY_GRPC_PORT: String(primaryRegistryPort) });
  await primaryRegistry.start();
});

afterAll(async () => {
  await secondaryRegistry?.stop();
  await primaryRegistry?.stop();
  await sites?.dispose();
});

it('flag off: the sweep backfills nothing and says why; flag on: the same records are backfilled', async () => {
  secondaryRegistry = secondaryRegistryWith('false');
  await secondaryRegistry.start();
  await new Promise((resolve) => setTimeout(resolve, PAUSED_WATCH_MS));
  expect(await registryRows(sites.secondary.pool)).toBe(0);
  expect(secondaryRegistry.tail(200)).toContain('replication is off for every type');
  await secondaryRegistry.stop();

  secondaryRegistry = secondaryRegistryWith('true');
  await secondaryRegistry.start();
  await waitFor(async () => (await registryRows(sites.secondary.pool)) === SYMBOLS, 'the backfill with the flag on', 30_000);
});
