import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { loadConfig, type AppConfig } from '@geo/config';
import { delaySeconds, type LoggerPort } from '@geo/domain';
import { createPool, EventOutboxRepository, GeoEventWriter, migrate, PgVerificationStateRepository, type VerificationClaim } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import type { Component } from '@geo/service-kit';
import { createBlobStore, FsBlobStore, S3BlobStore, type BlobStore } from '@geo/storage';
import { createTestDatabase, testServiceUrls, uniqueName, type TestDatabase } from '@geo/testing';
import type { Pool } from 'pg';
import { PgVerificationResultSink } from '../pg/pg-verification-result-sink';
import { readPrimaryVerificationSettings } from '../pg/primary-site-settings';
import {
  addSecondarySite,
  checksumSucceededEvents,
  seedSymbols,
  setPrimarySite,
  stateRows,
  waitFor,
  type SeededSymbol,
} from '../test-support/symbol-fixtures';
import { buildPrimary, type PrimaryParts, type PrimaryTuning } from '../wiring';
import { BatchVerifier } from './batch-verifier';
import { StreamingBlobChecksummer } from '../shared/blob-checksum';
import { PrimaryVerificationWorker } from './primary-verification-worker';
import { VerificationMaintenance } from './verification-maintenance';

const STARTED = 1;
const SUCCEEDED = 2;
const FAILED = 3;
const PENDING = 0;

interface LogLine {
  readonly level: string;
  readonly fields: Record<string, unknown>;
  readonly msg: string;
}

function captureLogger(lines: LogLine[]): LoggerPort {
  return {
    info: (fields, msg) => lines.push({ level: 'info', fields, msg }),
    warn: (fields, msg) => lines.push({ level: 'warn', fields, msg }),
    error: (fields, msg) => lines.push({ level: 'error', fields, msg }),
  };
}

function primaryConfig(databaseUrl: string, blobRoot: string, extra: Record<string, string> = {}): AppConfig {
  return loadConfig('checksum', {
    GEO_ROLE: 'primary',
    GEO_SITE_NAME: 'verification-test',
    DATABASE_URL: databaseUrl,
    NATS_URL: testServiceUrls().natsUrl,
    BLOB_STORE_ROOT: blobRoot,
    ...extra,
  });
}

describe('primary verification (real PostgreSQL and blob stores)', () => {
  let db: TestDatabase;
  let blobRoot: string;
  let store: FsBlobStore;
  let config: AppConfig;
  let logs: LogLine[];
  let running: Component[] = [];
  let parts: PrimaryParts | undefined;

  beforeEach(async () => {
    db = await createTestDatabase('geo_checksum_primary');
    await migrate({ role: 'primary', databaseUrl: db.url });
    blobRoot = mkdtempSync(join(tmpdir(), 'geo-checksum-'));
    store = new FsBlobStore({ root: blobRoot });
    config = primaryConfig(db.url, blobRoot);
    logs = [];
    running = [];
    parts = undefined;
  });

  afterEach(async () => {
    for (const component of [...running].reverse()) await component.stop();
    await db.drop();
    rmSync(blobRoot, { recursive: true, force: true });
  });

  /** Builds the primary's parts like the app does and starts them (database, then the workers). */
  async function startPrimary(tuning: PrimaryTuning = {}, cfg: AppConfig = config): Promise<PrimaryParts> {
    parts = buildPrimary(cfg, captureLogger(logs), { pollIntervalMs: 20, maintenanceIntervalMs: 3_600_000, ...tuning });
    for (const component of parts.components ?? []) {
      await component.start();
      running.push(component);
    }
    return parts;
  }

  function pool(): Pool {
    if (parts === undefined) throw new Error('primary not built');
    return parts.database.pool;
  }

  /** A short-lived pool of its own, for seeding before the primary starts and for checks after it stopped. */
  async function withSeedPool<T>(fn: (p: Pool) => Promise<T>): Promise<T> {
    const p = createPool({ databaseUrl: db.url, max: 2 });
    try {
      return await fn(p);
    } finally {
      await p.end();
    }
  }

  async function allSettled(count: number): Promise<void> {
    await waitFor(`${count} rows verified`, async () => {
      const rows = await stateRows(pool());
      return rows.length === count && rows.every((r) => r.verification_state === SUCCEEDED || r.verification_state === FAILED);
    });
  }

  function expectChecksums(rows: Awaited<ReturnType<typeof stateRows>>, symbols: readonly SeededSymbol[]): void {
    expect(rows.map((r) => [r.model_id, r.verification_state, r.checksum])).toEqual(symbols.map((s) => [s.id, SUCCEEDED, s.sha256]));
  }

  it('verifies every stored symbol with the SHA-256 hex of its blob, and writes no events without a secondary', async () => {
    const symbols = await withSeedPool((p) => seedSymbols(p, store, 25, { minSize: 1, maxSize: 3 * 1024 * 1024 }));
    const { workers, metrics } = await startPrimary();
    await allSettled(25);
    const rows = await stateRows(pool());
    expectChecksums(rows, symbols);
    for (const row of rows) expect(row).toMatchObject({ verification_failure: null, verification_retry_count: 0, verification_retry_at: null });
    expect(await checksumSucceededEvents(pool())).toEqual([]);
    expect(workers[0]!.counters).toMatchObject({ succeeded: 25, failed: 0, superseded: 0 });
    // One histogram observation per verified batch (ADR 0010).
    const batches = workers[0]!.counters.batches;
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(await metrics.getSingleMetricAsString('geo_verification_batch_duration_seconds')).toContain(
      `geo_verification_batch_duration_seconds_count{replicable="packages_nuget_symbol"} ${batches}`,
    );
  });

  it('writes one checksum_succeeded event (payload { model_record_id }) per success when an enabled secondary exists', async () => {
    const symbols = await withSeedPool(async (p) => {
      await addSecondarySite(p);
      return seedSymbols(p, store, 12);
    });
    await startPrimary();
    await allSettled(12);
    // Events follow the order batches committed in, not model ids.
    expect((await checksumSucceededEvents(pool())).sort((a, b) => a - b)).toEqual(symbols.map((s) => s.id));
    const { rows } = await pool().query<{ payload: unknown }>("SELECT payload FROM geo_events WHERE event_name = 'checksum_succeeded'");
    for (const row of rows) expect(Object.keys(row.payload as object)).toEqual(['model_record_id']);
  });

  it('runs no worker when the replication flag is off (GitLab: verification disabled on the primary)', async () => {
    await withSeedPool((p) => seedSymbols(p, store, 3));
    const off = await startPrimary({}, primaryConfig(db.url, blobRoot, { GEO_PACKAGES_NUGET_SYMBOL_REPLICATION: 'false' }));
    expect(off.workers).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await stateRows(pool())).map((r) => r.verification_state)).toEqual([PENDING, PENDING, PENDING]);
  });

  it('fails a record whose blob is missing with GitLab\'s text and a retry inside the backoff bounds', async () => {
    const symbols = await withSeedPool((p) => seedSymbols(p, store, 4));
    const missing = symbols[1]!;
    await store.delete(missing.key);
    await startPrimary();
    await allSettled(4);
    const rows = await stateRows(pool());
    const failed = rows.find((r) => r.model_id === missing.id)!;
    expect(failed).toMatchObject({
      verification_state: FAILED,
      checksum: null,
      verification_failure: 'Error during verification: File is not checksummable',
      verification_retry_count: 1,
    });
    // next_retry_time(1) = verified_at + delay(1), delay(1) = 1 + 15 + rand(30) × 2 ∈ [16, 74] s.
    const waitedSeconds = (failed.verification_retry_at!.getTime() - failed.verified_at!.getTime()) / 1000;
    expect(waitedSeconds).toBeGreaterThanOrEqual(delaySeconds(1, () => 0));
    expect(waitedSeconds).toBeLessThanOrEqual(delaySeconds(1, () => 29));
    expect(rows.filter((r) => r.verification_state === SUCCEEDED)).toHaveLength(3);
    expect(logs.some((l) => l.level === 'warn' && l.fields['modelId'] === missing.id)).toBe(true);

    // Not retried before it is due; once due (and the blob is back) it succeeds and the retry fields clear.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await stateRows(pool())).find((r) => r.model_id === missing.id)?.verification_state).toBe(FAILED);
    await store.put(missing.key, Buffer.from('restored'));
    await pool().query("UPDATE packages_nuget_symbol_states SET verification_retry_at = now() - interval '1 second' WHERE packages_nuget_symbol_id = $1", [missing.id]);
    await waitFor('the restored blob verified', async () => (await stateRows(pool())).find((r) => r.model_id === missing.id)?.verification_state === SUCCEEDED);
    expect((await stateRows(pool())).find((r) => r.model_id === missing.id)).toMatchObject({
      checksum: createHash('sha256').update('restored').digest('hex'),
      verification_failure: null,
      verification_retry_count: 0,
      verification_retry_at: null,
    });
  });

  it('fails rows started longer than 8 h ago (timeout sweep), then verifies them once due', async () => {
    const symbols = await withSeedPool(async (p) => {
      const seeded = await seedSymbols(p, store, 3);
      await p.query(
        "UPDATE packages_nuget_symbol_states SET verification_state = 1, verification_started_at = now() - interval '8 hours 1 minute' WHERE packages_nuget_symbol_id = $1",
        [seeded[0]!.id],
      );
      await p.query(
        "UPDATE packages_nuget_symbol_states SET verification_state = 1, verification_started_at = now() - interval '7 hours' WHERE packages_nuget_symbol_id = $1",
        [seeded[1]!.id],
      );
      return seeded;
    });
    await startPrimary(); // maintenance runs once at start
    await waitFor('the timed-out row failed', async () => (await stateRows(pool()))[0]?.verification_state === FAILED);
    const [timedOut, young] = await stateRows(pool());
    expect(timedOut).toMatchObject({ verification_failure: 'Verification timed out after 28800', verification_retry_count: 1, checksum: null });
    const waited = (timedOut!.verification_retry_at!.getTime() - timedOut!.verified_at!.getTime()) / 1000;
    expect(waited).toBeGreaterThanOrEqual(16);
    expect(waited).toBeLessThanOrEqual(74);
    expect(young?.verification_state).toBe(STARTED);

    await pool().query("UPDATE packages_nuget_symbol_states SET verification_retry_at = now() - interval '1 second' WHERE packages_nuget_symbol_id = $1", [symbols[0]!.id]);
    await waitFor('the timed-out row re-verified', async () => (await stateRows(pool()))[0]?.verification_state === SUCCEEDED);
    expect((await stateRows(pool()))[0]?.checksum).toBe(symbols[0]!.sha256);
  });

  it('re-marks checksums older than minimum_reverification_interval as pending, and they succeed again (with new events)', async () => {
    const symbols = await withSeedPool(async (p) => {
      await setPrimarySite(p, { minimumReverificationInterval: 1 });
      await addSecondarySite(p);
      return seedSymbols(p, store, 5);
    });
    const { workers } = await startPrimary();
    await allSettled(5);
    const aged = symbols.slice(0, 2).map((s) => s.id);
    await pool().query("UPDATE packages_nuget_symbol_states SET verified_at = now() - interval '2 days' WHERE packages_nuget_symbol_id = ANY($1::int[])", [aged]);
    const before = Date.now();

    await workers[0]!.runMaintenance();
    await waitFor('reverified rows verified again', async () => {
      const rows = await stateRows(pool());
      return rows.filter((r) => aged.includes(r.model_id)).every((r) => r.verification_state === SUCCEEDED && r.verified_at!.getTime() >= before - 1000);
    });
    expectChecksums(await stateRows(pool()), symbols);
    expect(logs.some((l) => l.msg === 'checksum: stale checksums marked for reverification' && l.fields['reverified'] === 2)).toBe(true);
    // One event per success: five first, then one more for each reverified row.
    const events = await checksumSucceededEvents(pool());
    expect(events.slice(0, 5).sort((a, b) => a - b)).toEqual(symbols.map((s) => s.id));
    expect(events.slice(5).sort((a, b) => a - b)).toEqual(aged);

    // Rows verified 2 days ago are not stale under the default interval (7 days).
    await setPrimarySite(pool(), { minimumReverificationInterval: 7 });
    await pool().query("UPDATE packages_nuget_symbol_states SET verified_at = now() - interval '2 days'");
    await workers[0]!.runMaintenance();
    expect((await stateRows(pool())).every((r) => r.verification_state === SUCCEEDED)).toBe(true);
  });

  it('backfills missing state rows and verifies them', async () => {
    const symbols = await withSeedPool((p) => seedSymbols(p, store, 7, { withStates: false }));
    await startPrimary();
    await allSettled(7);
    expectChecksums(await stateRows(pool()), symbols);
    expect(logs.some((l) => l.msg === 'checksum: verification states backfilled' && l.fields['inserted'] === 7)).toBe(true);
  });

  it('stopping waits for the batches in flight: no row is left started', async () => {
    await withSeedPool((p) => seedSymbols(p, store, 60));
    // A slow store keeps batches in flight when stop is called.
    const slow: BlobStore = Object.assign(Object.create(store) as BlobStore, {
      get: async (key: string) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        return store.get(key);
      },
    });
    const { workers } = await startPrimary({ blobStore: slow });
    await waitFor('batches in flight', async () => workers[0]!.activeJobs > 1);
    for (const component of [...running].reverse()) await component.stop();
    running = [];
    await withSeedPool(async (p) => {
      const rows = await stateRows(p);
      expect(rows.filter((r) => r.verification_state === STARTED)).toEqual([]);
      expect(rows.filter((r) => r.verification_state === SUCCEEDED).length).toBeGreaterThan(0);
    });
  });

  it('two workers share the table without ever claiming a row twice, each within its capacity', async () => {
    const symbols = await withSeedPool(async (p) => {
      await setPrimarySite(p, { verificationMaxCapacity: 4 });
      return seedSymbols(p, store, 300, { minSize: 16, maxSize: 256 });
    });
    await startPrimary({}, primaryConfig(db.url, blobRoot, { GEO_PACKAGES_NUGET_SYMBOL_REPLICATION: 'false' })); // only the database
    const claimedIds: number[] = [];
    const peak = [0, 0];
    const workers = [0, 1].map((n) => {
      const states = new PgVerificationStateRepository(pool(), packagesNugetSymbol);
      const counting = Object.assign(Object.create(states) as PgVerificationStateRepository, {
        claimBatch: async (limit: number) => {
          const claims = await states.claimBatch(limit);
          claimedIds.push(...claims.map((c) => c.state.modelId));
          return claims;
        },
      });
      const verifier = new BatchVerifier({
        replicableName: packagesNugetSymbol.name,
        checksum: new StreamingBlobChecksummer(store),
        sink: new PgVerificationResultSink({ pool: pool(), states, events: new GeoEventWriter(new EventOutboxRepository(pool()), () => true), logger: captureLogger(logs) }),
        logger: captureLogger(logs),
      });
      let inFlight = 0;
      return new PrimaryVerificationWorker({
        replicable: packagesNugetSymbol,
        states: counting,
        verifier: {
          verify: async (claims: readonly VerificationClaim[]) => {
            inFlight += 1;
            peak[n] = Math.max(peak[n]!, inFlight);
            try {
              await new Promise((resolve) => setTimeout(resolve, 5));
              return await verifier.verify(claims);
            } finally {
              inFlight -= 1;
            }
          },
        },
        maintenance: new VerificationMaintenance({ replicable: packagesNugetSymbol, states }),
        settings: () => readPrimaryVerificationSettings(pool()),
        enabledTypes: 1,
        logger: captureLogger(logs),
        pollIntervalMs: 10,
        maintenanceIntervalMs: 3_600_000,
      });
    });
    for (const worker of workers) {
      await worker.start();
      running.push(worker);
    }
    expect(workers.map((w) => w.capacity)).toEqual([4, 4]);
    await allSettled(300);
    expect(claimedIds).toHaveLength(300);
    expect(new Set(claimedIds).size).toBe(300);
    expectChecksums(await stateRows(pool()), symbols);
    expect(workers.map((w) => w.counters.succeeded).reduce((a, b) => a + b)).toBe(300);
    expect(workers.every((w) => w.counters.succeeded > 0)).toBe(true);
    expect(Math.max(...peak)).toBeLessThanOrEqual(4);
    expect(Math.max(...peak)).toBeGreaterThan(1);
  });

  it('verifies blobs in S3 (s3rver) the same way', async () => {
    const bucket = uniqueName('geo-checksum').replace(/_/g, '-').toLowerCase();
    const s3Config = primaryConfig(db.url, blobRoot, {
      BLOB_STORE_KIND: 's3',
      S3_ENDPOINT: testServiceUrls().s3Endpoint,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
    });
    const s3 = createBlobStore({
      kind: 's3',
      bucket,
      endpoint: testServiceUrls().s3Endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    if (!(s3 instanceof S3BlobStore)) throw new Error('expected an S3 store');
    await s3.client.send(new CreateBucketCommand({ Bucket: bucket }));
    try {
      const symbols = await withSeedPool((p) => seedSymbols(p, s3, 6, { minSize: 1, maxSize: 6 * 1024 * 1024 }));
      await s3.delete(symbols[5]!.key);
      await startPrimary({}, s3Config);
      await allSettled(6);
      const rows = await stateRows(pool());
      expectChecksums(rows.slice(0, 5), symbols.slice(0, 5));
      expect(rows[5]).toMatchObject({ verification_state: FAILED, verification_failure: 'Error during verification: File is not checksummable' });
    } finally {
      const listed = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket }));
      for (const object of listed.Contents ?? []) await s3.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.Key }));
      await s3.client.send(new DeleteBucketCommand({ Bucket: bucket }));
      s3.client.destroy();
    }
  });
});
