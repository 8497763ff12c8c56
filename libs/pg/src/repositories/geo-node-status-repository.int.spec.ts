import type { Pool } from 'pg';
import { ErrorCodes, primaryReplicableStatus, secondaryReplicableStatus, siteHealth, type NodeStatus } from '@geo/domain';
import { packagesNugetSymbol, REPLICABLES } from '@geo/replicables';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { migrate } from '../migrations/runner';
import { createPool } from '../pool';
import { PgGeoNodeStatusRepository } from './geo-node-status-repository';
import { PgGeoSiteIdentityRepository } from './geo-site-identity-repository';

let db: TestDatabase;
let pool: Pool;
let primaryId: number;
let secondaryId: number;
let namespaceIds: number[];

async function insertId(sql: string, values: unknown[] = []): Promise<number> {
  return Number((await pool.query<{ id: string }>(`${sql} RETURNING id`, values)).rows[0]!.id);
}

beforeAll(async () => {
  db = await createTestDatabase('geo_pg_node_status');
  await migrate({ role: 'primary', databaseUrl: db.url });
  pool = createPool({ databaseUrl: db.url, max: 2 });
  primaryId = await insertId(`INSERT INTO geo_sites (name, url, "primary") VALUES ('eu', 'https://eu.example/', true)`);
  secondaryId = await insertId(`INSERT INTO geo_sites (name, url, access_key, secret_access_key, selective_sync_type) VALUES ('us', 'https://us.example/', 'AK', 'secret', 'namespaces')`);
  namespaceIds = [await insertId(`INSERT INTO namespaces (name, path) VALUES ('b', 'b')`), await insertId(`INSERT INTO namespaces (name, path) VALUES ('a', 'a')`)];
  for (const ns of namespaceIds) await pool.query('INSERT INTO geo_node_namespace_links (geo_node_id, namespace_id) VALUES ($1, $2)', [secondaryId, ns]);
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const T0 = new Date('2026-11-25T10:00:00.000Z');

const secondaryStatus = (overrides: Partial<NodeStatus> = {}): NodeStatus => ({
  geoNodeId: 999,
  name: 'what-the-site-claims',
  lastEvent: { eventId: 42, createdAt: T0 },
  cursorLastEvent: { eventId: 40, createdAt: new Date('2026-11-25T09:59:58.000Z') },
  eventLagSeconds: 7,
  version: '0.1.0',
  revision: 'abc1234',
  selectiveSyncType: '',
  namespaceIds: [],
  updatedAt: T0,
  lastSuccessfulStatusCheckAt: new Date('2026-11-25T09:59:00.000Z'),
  health: siteHealth([
    { code: 'nats_unreachable', message: 'NATS unreachable: x' },
    { code: 'sync_stalled', message: 'Sync stalled: y' },
  ]),
  replicables: {
    [packagesNugetSymbol.name]: secondaryReplicableStatus({ registryCount: 8, syncedCount: 6, failedCount: 1, verifiedCount: 2, verificationFailedCount: 1, verificationTotalCount: 5 }),
  },
  statusFailedTotal: 3,
  ...overrides,
});

describe('PgGeoNodeStatusRepository', () => {
  it('stores counters in the status jsonb under GitLab field names and scalars in their columns', async () => {
    const repo = new PgGeoNodeStatusRepository(pool, REPLICABLES);
    await repo.save(secondaryId, secondaryStatus());
    const { rows } = await pool.query<Record<string, unknown>>('SELECT * FROM geo_node_statuses WHERE geo_node_id = $1', [secondaryId]);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row['status']).toEqual({
      packages_nuget_symbols_count: 8,
      packages_nuget_symbols_checksum_total_count: null,
      packages_nuget_symbols_checksummed_count: null,
      packages_nuget_symbols_checksum_failed_count: null,
      packages_nuget_symbols_synced_count: 6,
      packages_nuget_symbols_failed_count: 1,
      packages_nuget_symbols_registry_count: 8,
      packages_nuget_symbols_verification_total_count: 5,
      packages_nuget_symbols_verified_count: 2,
      packages_nuget_symbols_verification_failed_count: 1,
    });
    expect(row).toMatchObject({
      event_lag_seconds: 7,
      db_replication_lag_seconds: null,
      last_event_id: '42',
      last_event_date: T0,
      cursor_last_event_id: '40',
      status_message: 'NATS unreachable: x; Sync stalled: y',
      health_issues: [
        { code: 'nats_unreachable', message: 'NATS unreachable: x' },
        { code: 'sync_stalled', message: 'Sync stalled: y' },
      ],
      version: '0.1.0',
      revision: 'abc1234',
    });
  });

  it('reads back the status with identity from geo_sites, the primary\'s receipt time and recomputed percentages', async () => {
    const repo = new PgGeoNodeStatusRepository(pool, REPLICABLES);
    const before = Date.now();
    await repo.save(secondaryId, secondaryStatus());
    const found = await repo.find(secondaryId);
    expect(found).toMatchObject({
      geoNodeId: secondaryId,
      name: 'us',
      selectiveSyncType: 'namespaces',
      namespaceIds: [...namespaceIds].sort((a, b) => a - b),
      lastEvent: { eventId: 42, createdAt: T0 },
      cursorLastEvent: { eventId: 40 },
      eventLagSeconds: 7,
      lastSuccessfulStatusCheckAt: new Date('2026-11-25T09:59:00.000Z'),
      statusFailedTotal: null,
    });
    expect(found!.updatedAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(found!.health).toEqual(secondaryStatus().health);
    expect(found!.replicables[packagesNugetSymbol.name]).toEqual(secondaryStatus().replicables[packagesNugetSymbol.name]);
  });

  it('keeps one row per site: a new report replaces the old one; a healthy one clears the message', async () => {
    const repo = new PgGeoNodeStatusRepository(pool, REPLICABLES);
    await repo.save(secondaryId, secondaryStatus());
    await repo.save(secondaryId, secondaryStatus({ health: siteHealth([]), eventLagSeconds: 0 }));
    const { rows } = await pool.query<{ status_message: string | null; event_lag_seconds: number }>('SELECT status_message, event_lag_seconds FROM geo_node_statuses WHERE geo_node_id = $1', [secondaryId]);
    expect(rows).toEqual([{ status_message: null, event_lag_seconds: 0 }]);
    expect((await repo.find(secondaryId))?.health.healthy).toBe(true);
  });

  it('lists every stored status by site id; a primary row has no percentages', async () => {
    const repo = new PgGeoNodeStatusRepository(pool, REPLICABLES);
    await repo.save(secondaryId, secondaryStatus());
    await repo.save(primaryId, secondaryStatus({
      replicables: { [packagesNugetSymbol.name]: primaryReplicableStatus({ count: 5, checksumTotalCount: 5, checksummedCount: 4, checksumFailedCount: 1 }) },
      cursorLastEvent: null,
      eventLagSeconds: null,
    }));
    const all = await repo.list();
    expect(all.map((s) => [s.geoNodeId, s.name])).toEqual([[primaryId, 'eu'], [secondaryId, 'us']].sort((a, b) => Number(a[0]) - Number(b[0])));
    const primary = all.find((s) => s.geoNodeId === primaryId)!;
    expect(primary.replicables[packagesNugetSymbol.name]).toEqual(primaryReplicableStatus({ count: 5, checksumTotalCount: 5, checksummedCount: 4, checksumFailedCount: 1 }));
    expect(primary.cursorLastEvent).toBeNull();
    expect(primary.selectiveSyncType).toBe('');
  });

  it('returns undefined for a site that never reported, and refuses a site that does not exist', async () => {
    const repo = new PgGeoNodeStatusRepository(pool, REPLICABLES);
    expect(await repo.find(123_456)).toBeUndefined();
    await expect(repo.save(123_456, secondaryStatus())).rejects.toMatchObject({ code: expect.stringMatching(/^GEO_/) as string });
    await expect(repo.save(0, secondaryStatus())).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });
});

describe('PgGeoSiteIdentityRepository', () => {
  it('finds a site by name with its selective sync, or nothing', async () => {
    const repo = new PgGeoSiteIdentityRepository(pool);
    expect(await repo.findByName('eu')).toEqual({ geoNodeId: primaryId, name: 'eu', selectiveSyncType: '', namespaceIds: [] });
    expect(await repo.findByName('us')).toEqual({ geoNodeId: secondaryId, name: 'us', selectiveSyncType: 'namespaces', namespaceIds: [...namespaceIds].sort((a, b) => a - b) });
    expect(await repo.findByName('nowhere')).toBeUndefined();
  });
});
