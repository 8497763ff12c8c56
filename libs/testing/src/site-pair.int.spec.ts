// The fixture against real PostgreSQL and nats-servers. @geo/pg's migrations cannot be used here
// (it imports this lib), so `migrate` creates just the `geo_sites` columns the fixture writes.
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Client, Pool } from 'pg';
import { testServiceUrls, uniqueName } from './services';
import { createSitePair, type SitePairPg } from './site-pair';

const GEO_SITES = `CREATE TABLE geo_sites (id bigserial PRIMARY KEY, name text NOT NULL, url text NOT NULL, "primary" boolean NOT NULL DEFAULT false,
  access_key text, secret_access_key text)`;

function pgWith(migrate: SitePairPg['migrate']): SitePairPg {
  return { migrate, createPool: (o) => new Pool({ connectionString: o.databaseUrl, max: o.max }) };
}

const migrated: { role: string; databaseUrl: string }[] = [];
const pg = pgWith(async ({ role, databaseUrl }) => {
  migrated.push({ role, databaseUrl });
  if (role !== 'primary') return;
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  await c.query(GEO_SITES).finally(() => c.end());
});

async function databasesLike(prefix: string): Promise<string[]> {
  const c = new Client({ connectionString: testServiceUrls().pgAdminUrl });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [`geo_${prefix}_`])).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

async function natsAnswers(url: string): Promise<boolean> {
  const nc = await connect({ servers: url, timeout: 1000, reconnect: false }).catch(() => undefined);
  await nc?.close();
  return nc !== undefined;
}

describe('createSitePair', () => {
  it('makes two migrated databases, two started nats-servers, the geo_sites rows and each site env; dispose removes it all', async () => {
    const prefix = uniqueName('sp').toLowerCase();
    const sites = await createSitePair(prefix, { pg, primaryGrpcUrl: 'http://127.0.0.1:1', primaryStatusGrpcUrl: 'http://127.0.0.1:2', primaryStreams: [{ name: 'T_EVENTS', subjects: ['t.>'] }] });
    const { primary, secondary } = sites;
    try {
      expect(migrated.filter((m) => m.databaseUrl === primary.db.url || m.databaseUrl === secondary.db.url)).toEqual([
        { role: 'primary', databaseUrl: primary.db.url },
        { role: 'secondary', databaseUrl: secondary.db.url },
      ]);
      expect((await databasesLike(prefix)).sort()).toEqual([primary.db.name, secondary.db.name].sort());
      const rows = await primary.pool.query<{ id: string; name: string; url: string; primary: boolean; access_key: string | null; secret_access_key: string | null }>('SELECT * FROM geo_sites ORDER BY id');
      expect(rows.rows.map((r) => ({ ...r, id: Number(r.id) }))).toEqual([
        { id: primary.id, name: primary.name, url: 'https://eu.example/', primary: true, access_key: null, secret_access_key: null },
        { id: secondary.id, name: secondary.name, url: 'https://us.example/', primary: false, access_key: secondary.accessKey, secret_access_key: secondary.secretAccessKey },
      ]);
      expect(primary.env).toEqual({ GEO_ROLE: 'primary', GEO_SITE_NAME: primary.name, DATABASE_URL: primary.db.url, NATS_URL: primary.nats.url, BLOB_STORE_ROOT: primary.blobStoreRoot });
      expect(secondary.env).toEqual({
        GEO_ROLE: 'secondary',
        GEO_SITE_NAME: secondary.name,
        DATABASE_URL: secondary.db.url,
        NATS_URL: secondary.nats.url,
        BLOB_STORE_ROOT: secondary.blobStoreRoot,
        GEO_PRIMARY_GRPC_URL: 'http://127.0.0.1:1',
        GEO_PRIMARY_STATUS_GRPC_URL: 'http://127.0.0.1:2',
        GEO_PRIMARY_NATS_URL: primary.nats.url,
        GEO_ACCESS_KEY: secondary.accessKey,
        GEO_SECRET_ACCESS_KEY: secondary.secretAccessKey,
      });
      expect(primary.nats.url).not.toBe(secondary.nats.url);
      expect(primary.blobStoreRoot.startsWith(sites.work)).toBe(true);
      expect(existsSync(sites.work)).toBe(true);
      const nc = await connect({ servers: primary.nats.url });
      try {
        expect((await (await jetstreamManager(nc)).streams.info('T_EVENTS')).config.subjects).toEqual(['t.>']);
      } finally {
        await nc.close();
      }
      expect(await natsAnswers(secondary.nats.url)).toBe(true);
    } finally {
      await sites.dispose();
    }
    expect(await databasesLike(prefix)).toEqual([]);
    expect(existsSync(sites.work)).toBe(false);
    expect(await natsAnswers(primary.nats.url)).toBe(false);
    expect(await natsAnswers(secondary.nats.url)).toBe(false);
  });

  it('undoes what it made when its last step fails, and rethrows', async () => {
    const prefix = uniqueName('sp_undo').toLowerCase();
    // No geo_sites table: the inserts, after the databases, pools, servers and work dir, fail.
    const noTables = pgWith(async () => undefined);
    await expect(createSitePair(prefix, { pg: noTables, primaryGrpcUrl: 'http://127.0.0.1:1', primaryStatusGrpcUrl: 'http://127.0.0.1:1' })).rejects.toThrow('relation "geo_sites" does not exist');
    expect(await databasesLike(prefix)).toEqual([]);
    expect(readdirSync(tmpdir()).filter((entry) => entry.startsWith(`geo-${prefix.replace(/_/g, '-')}-`))).toEqual([]);
  });
});
