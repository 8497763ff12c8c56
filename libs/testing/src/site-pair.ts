// A primary and a secondary site's own infrastructure for integration tests that run apps as real
// processes: a migrated database and a private nats-server each, a work dir for their blob stores,
// the two `geo_sites` rows in the primary's database, and each site's environment. Which apps run,
// on which ports, and any extra sites or rows stay in the spec.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager, type StreamConfig } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { privateNatsServer, type PrivateNatsServer } from './nats-server';
import { createTestDatabase, uniqueName, type TestDatabase } from './services';

/**
 * @geo/pg's `migrate` and `createPool`, passed in: @geo/pg's own specs import this lib, so it
 * cannot import @geo/pg back (Nx forbids the cycle).
 */
export interface SitePairPg {
  migrate(options: { readonly role: 'primary' | 'secondary'; readonly databaseUrl: string }): Promise<unknown>;
  createPool(options: { readonly databaseUrl: string; readonly max?: number }): Pool;
}

/** A stream to create on the primary's NATS (@geo/nats' `geoEventsStream()` fits). */
export type SitePairStream = Partial<StreamConfig> & Pick<StreamConfig, 'name' | 'subjects'>;

export interface SitePairOptions {
  readonly pg: SitePairPg;
  /** The secondary's GEO_PRIMARY_GRPC_URL: the primary's registry app (a closed port where none runs). */
  readonly primaryGrpcUrl: string;
  /** The secondary's GEO_PRIMARY_STATUS_GRPC_URL: the primary's status app, which it pushes to. */
  readonly primaryStatusGrpcUrl: string;
  /**
   * Streams created on the primary's NATS before any app starts: the primary's event-log relay
   * creates GEO_EVENTS on its first publish, and a test without a relay may need it earlier.
   */
  readonly primaryStreams?: readonly SitePairStream[];
}

export interface PairSite {
  readonly db: TestDatabase;
  /** A pool of two on `db`; ended by `dispose()`. */
  readonly pool: Pool;
  readonly nats: PrivateNatsServer;
  /** GEO_SITE_NAME, unique per run. */
  readonly name: string;
  /** Its `geo_sites.id` in the primary's database. */
  readonly id: number;
  /** Its BLOB_STORE_ROOT, under the pair's work dir. */
  readonly blobStoreRoot: string;
  /** What every app of this site needs: role, name, database, NATS, blob store (and, on the secondary, the primary's addresses and the site's keys). */
  readonly env: Readonly<Record<string, string>>;
}

export interface PairSecondary extends PairSite {
  readonly accessKey: string;
  readonly secretAccessKey: string;
}

export interface SitePair {
  readonly primary: PairSite;
  readonly secondary: PairSecondary;
  /** A temporary directory of the pair's (the blob stores live below it); removed by `dispose()`. */
  readonly work: string;
  /** Removes the work dir, stops the nats-servers, ends the pools, drops the databases; tries every step. Stop the apps first. */
  dispose(): Promise<void>;
}

/** Releases in reverse order of acquisition; every release runs even when one fails. */
class Releases {
  private readonly steps: (() => Promise<void>)[] = [];

  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }

  /** Acquires two at once, keeping whichever succeeded for release when the other failed. */
  async both<T>(made: readonly [Promise<T>, Promise<T>], release: (resource: T) => Promise<void>): Promise<[T, T]> {
    const [a, b] = await Promise.allSettled(made);
    for (const s of [a, b]) if (s.status === 'fulfilled') this.add(() => release(s.value));
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
    return [a.value, b.value];
  }

  async releaseAll(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'site pair teardown failed');
  }
}

async function createStreams(natsUrl: string, streams: readonly SitePairStream[]): Promise<void> {
  if (streams.length === 0) return;
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    // A fresh private server has no streams: adding is all @geo/nats' ensureStream would do.
    for (const stream of streams) await jsm.streams.add(stream);
  } finally {
    await nc.close();
  }
}

/**
 * Databases `geo_<prefix>_primary` / `_secondary` (migrated), two private nats-servers (started),
 * work dir `geo-<prefix>-…`, and the sites `eu-…` (primary, https://eu.example/) and `us-…`
 * (https://us.example/, with an access key and secret) in the primary's `geo_sites`.
 */
export async function createSitePair(prefix: string, options: SitePairOptions): Promise<SitePair> {
  const releases = new Releases();
  try {
    const [primaryDb, secondaryDb] = await releases.both([createTestDatabase(`geo_${prefix}_primary`), createTestDatabase(`geo_${prefix}_secondary`)], (db) => db.drop());
    await options.pg.migrate({ role: 'primary', databaseUrl: primaryDb.url });
    await options.pg.migrate({ role: 'secondary', databaseUrl: secondaryDb.url });
    const primaryPool = options.pg.createPool({ databaseUrl: primaryDb.url, max: 2 });
    releases.add(() => primaryPool.end());
    const secondaryPool = options.pg.createPool({ databaseUrl: secondaryDb.url, max: 2 });
    releases.add(() => secondaryPool.end());
    const [primaryNats, secondaryNats] = await releases.both([privateNatsServer(), privateNatsServer()], (nats) => nats.dispose());
    await primaryNats.start();
    await secondaryNats.start();
    await createStreams(primaryNats.url, options.primaryStreams ?? []);

    const work = mkdtempSync(join(tmpdir(), `geo-${prefix.replace(/_/g, '-')}-`));
    releases.add(async () => rmSync(work, { recursive: true, force: true }));
    const primaryName = uniqueName('eu').replace(/_/g, '-');
    const secondaryName = uniqueName('us').replace(/_/g, '-');
    const accessKey = uniqueName('AK');
    const secretAccessKey = randomBytes(20).toString('hex');
    const insert = async (sql: string, values: unknown[]): Promise<number> => Number((await primaryPool.query<{ id: string }>(`${sql} RETURNING id`, values)).rows[0]!.id);
    const primaryId = await insert(`INSERT INTO geo_sites (name, url, "primary") VALUES ($1, 'https://eu.example/', true)`, [primaryName]);
    const secondaryId = await insert(`INSERT INTO geo_sites (name, url, access_key, secret_access_key) VALUES ($1, 'https://us.example/', $2, $3)`, [secondaryName, accessKey, secretAccessKey]);

    const primaryBlobs = join(work, 'primary');
    const secondaryBlobs = join(work, 'secondary');
    return {
      primary: {
        db: primaryDb,
        pool: primaryPool,
        nats: primaryNats,
        name: primaryName,
        id: primaryId,
        blobStoreRoot: primaryBlobs,
        env: { GEO_ROLE: 'primary', GEO_SITE_NAME: primaryName, DATABASE_URL: primaryDb.url, NATS_URL: primaryNats.url, BLOB_STORE_ROOT: primaryBlobs },
      },
      secondary: {
        db: secondaryDb,
        pool: secondaryPool,
        nats: secondaryNats,
        name: secondaryName,
        id: secondaryId,
        blobStoreRoot: secondaryBlobs,
        accessKey,
        secretAccessKey,
        env: {
          GEO_ROLE: 'secondary',
          GEO_SITE_NAME: secondaryName,
          DATABASE_URL: secondaryDb.url,
          NATS_URL: secondaryNats.url,
          BLOB_STORE_ROOT: secondaryBlobs,
          GEO_PRIMARY_GRPC_URL: options.primaryGrpcUrl,
          GEO_PRIMARY_STATUS_GRPC_URL: options.primaryStatusGrpcUrl,
          GEO_PRIMARY_NATS_URL: primaryNats.url,
          GEO_ACCESS_KEY: accessKey,
          GEO_SECRET_ACCESS_KEY: secretAccessKey,
        },
      },
      work,
      dispose: () => releases.releaseAll(),
    };
  } catch (error) {
    try {
      await releases.releaseAll();
    } catch (cleanupError) {
      throw new AggregateError([error, cleanupError], 'site pair setup failed, and so did undoing it');
    }
    throw error;
  }
}
