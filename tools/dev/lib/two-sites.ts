/**
 * A primary and a secondary site as real processes on loopback, for end-to-end tests and benchmarks:
 * two fresh databases, a private nats-server per site, fs blob stores in a work directory, the
 * secondary registered on the primary (its credentials handed to its apps), and helpers to drive the
 * primary's HTTP API and read both databases.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import type { AppName } from '@geo/config';
import { migrate } from '@geo/pg';
import { createTestDatabase, privateNatsServer, type PrivateNatsServer, type TestDatabase } from '@geo/testing';
import { startSite, type RunningSite } from './site-processes';

export interface TwoSitesOptions {
  /** Prefix of the work directory and databases. */
  readonly label: string;
  /** Extra environment for every app of each site. */
  readonly primaryEnv?: Readonly<Record<string, string>>;
  readonly secondaryEnv?: Readonly<Record<string, string>>;
  /** Start the secondary's apps right away (default true); false: call `startSecondary()` later. */
  readonly startSecondary?: boolean;
  /** Secondary settings stored on the primary at registration (e.g. files_max_capacity). */
  readonly secondarySettings?: Readonly<Record<string, unknown>>;
  readonly nodeArgs?: readonly string[];
}

export interface SiteHandle {
  readonly db: TestDatabase;
  readonly pg: Client;
  readonly nats: PrivateNatsServer;
  readonly blobRoot: string;
  readonly logDir: string;
}

export interface TwoSites {
  readonly work: string;
  readonly adminToken: string;
  readonly primary: SiteHandle & { site: RunningSite; url: string };
  readonly secondary: SiteHandle & { site: RunningSite | undefined; siteId: number; accessKey: string; secretAccessKey: string };
  /** Starts the secondary's apps (when `startSecondary: false`). */
  startSecondary(): Promise<RunningSite>;
  /** Admin REST call on the primary; throws unless 2xx. */
  admin<T>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

const SECONDARY_APPS: readonly AppName[] = ['gateway', 'nuget', 'event-log', 'registry', 'blob-transfer', 'checksum', 'status'];

async function siteHandle(label: string, work: string, name: string, role: 'primary' | 'secondary'): Promise<SiteHandle> {
  const db = await createTestDatabase(`${label}_${name}`);
  await migrate({ role, databaseUrl: db.url });
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const nats = await privateNatsServer();
  await nats.start();
  return { db, pg, nats, blobRoot: join(work, name, 'blobs'), logDir: join(work, name, 'logs') };
}

export async function startTwoSites(options: TwoSitesOptions): Promise<TwoSites> {
  const work = mkdtempSync(join(tmpdir(), `geo-${options.label}-`));
  const adminToken = randomBytes(24).toString('hex');
  const p = await siteHandle(options.label, work, 'primary', 'primary');
  const s = await siteHandle(options.label, work, 'secondary', 'secondary');
  const primarySite = await startSite({
    name: `${options.label}-primary`,
    role: 'primary',
    databaseUrl: p.db.url,
    natsUrl: p.nats.url,
    blobRoot: p.blobRoot,
    adminToken,
    logDir: p.logDir,
    env: { LOG_LEVEL: 'warn', ...options.primaryEnv },
    ...(options.nodeArgs === undefined ? {} : { nodeArgs: options.nodeArgs }),
  });
  const url = primarySite.url!;
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/api/v4${path}`, {
      method,
      headers: { 'PRIVATE-TOKEN': adminToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text === '' ? undefined : JSON.parse(text)) as T;
  };
  await admin('POST', '/geo_sites', { name: `${options.label}-primary`, url, primary: true });
  const registered = await admin<{ id: number; access_key: string; secret_access_key: string }>('POST', '/geo_sites', {
    name: `${options.label}-secondary`,
    url: 'http://127.0.0.1:9',
    primary: false,
    ...options.secondarySettings,
  });

  const primaryAt = (app: AppName) => `http://127.0.0.1:${primarySite.grpcPorts[app]}`;
  let secondarySite: RunningSite | undefined;
  const startSecondary = async (): Promise<RunningSite> => {
    secondarySite = await startSite({
      name: `${options.label}-secondary`,
      role: 'secondary',
      databaseUrl: s.db.url,
      natsUrl: s.nats.url,
      blobRoot: s.blobRoot,
      adminToken,
      logDir: s.logDir,
      apps: SECONDARY_APPS,
      env: {
        LOG_LEVEL: 'warn',
        GEO_PRIMARY_GRPC_URL: primaryAt('registry'),
        GEO_PRIMARY_REGISTRY_GRPC_URL: primaryAt('registry'),
        GEO_PRIMARY_BLOB_TRANSFER_GRPC_URL: primaryAt('blob-transfer'),
        GEO_PRIMARY_STATUS_GRPC_URL: primaryAt('status'),
        GEO_PRIMARY_NATS_URL: p.nats.url,
        GEO_PRIMARY_HTTP_URL: url,
        GEO_PRIMARY_BLOB_TRANSFER_HTTP_URL: primarySite.retrieveHttpUrl,
        GEO_ACCESS_KEY: registered.access_key,
        GEO_SECRET_ACCESS_KEY: registered.secret_access_key,
        ...options.secondaryEnv,
      },
      ...(options.nodeArgs === undefined ? {} : { nodeArgs: options.nodeArgs }),
    });
    secondary.site = secondarySite;
    return secondarySite;
  };
  const secondary: TwoSites['secondary'] = {
    ...s,
    site: undefined,
    siteId: registered.id,
    accessKey: registered.access_key,
    secretAccessKey: registered.secret_access_key,
  };
  if (options.startSecondary !== false) await startSecondary();

  return {
    work,
    adminToken,
    primary: { ...p, site: primarySite, url },
    secondary,
    startSecondary,
    admin,
    async stop() {
      await secondary.site?.stop();
      await primarySite.stop();
      for (const h of [s, p]) {
        await h.pg.end();
        await h.nats.dispose();
        await h.db.drop();
      }
      // GEO_KEEP_SITE_LOGS=1 keeps the work directory (each app's log) for a post-mortem.
      if (process.env['GEO_KEEP_SITE_LOGS'] === '1') console.error(`two-sites: kept ${work}`);
      else rmSync(work, { recursive: true, force: true });
    },
  };
}
