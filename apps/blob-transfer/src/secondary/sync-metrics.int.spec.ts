/**
 * The sync histograms after real downloads (ADR 0010): a `BlobDownloadService` with
 * `PromSyncMetrics` downloads from the HTTP stub primary into an fs store, recording in real
 * PostgreSQL; the registry is then scraped through a real gRPC `geo.v1.MetricsService`, as the
 * site's gateway does.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@geo/domain';
import { createChannelClient, metricsService, scrapeMetrics, startGrpcServer, type GrpcServerHandle, type MetricFamilySnapshot } from '@geo/grpc';
import { createPool, migrate, PgRegistryRepository, PgReplicableRecordRepository } from '@geo/pg';
import { MetricsServiceClient } from '@geo/proto';
import { packagesNugetSymbol } from '@geo/replicables';
import { FsBlobStore } from '@geo/storage';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { Registry } from 'prom-client';
import type { Pool } from 'pg';
import { BlobDownloadService } from './download-blob';
import { HttpBlobRetriever } from './http-blob-retriever';
import { PromSyncMetrics, SYNC_BYTES_BUCKETS } from './sync-metrics';
import { bufferBlob, startRetrieveStub, STUB_ACCESS_KEY, STUB_SECRET, type RetrieveStub } from './test-support/retrieve-stub';

const NAME = packagesNugetSymbol.name;
/** The record was written on the primary this long before the download. */
const WRITTEN_AGO_S = 120;

let db: TestDatabase;
let pool: Pool;
let registry: PgRegistryRepository;
let records: PgReplicableRecordRepository;
let stub: RetrieveStub;
let retriever: HttpBlobRetriever;
let root: string;
let server: GrpcServerHandle;
let client: MetricsServiceClient;
let service: BlobDownloadService;

beforeAll(async () => {
  db = await createTestDatabase('geo_blob_sync_metrics');
  await migrate({ role: 'secondary', databaseUrl: db.url });
  pool = createPool({ databaseUrl: db.url, max: 4 });
  registry = new PgRegistryRepository(pool, packagesNugetSymbol);
  records = new PgReplicableRecordRepository(pool);
  stub = await startRetrieveStub();
  retriever = new HttpBlobRetriever({ baseUrl: stub.url, accessKey: STUB_ACCESS_KEY, secretAccessKey: STUB_SECRET, readTimeoutMs: 5000 });
  root = await mkdtemp(join(tmpdir(), 'geo-blob-sync-metrics-'));
  const metrics = new Registry();
  service = new BlobDownloadService({ registries: [registry], records, retriever, blobStore: new FsBlobStore({ root }), logger: silentLogger, metrics: new PromSyncMetrics(metrics) });
  server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [metricsService(() => metrics.getMetricsAsJSON())] });
  client = createChannelClient(MetricsServiceClient, `127.0.0.1:${server.port}`);
});

afterAll(async () => {
  client?.close();
  await server?.shutdown(0);
  retriever?.close();
  await stub?.close();
  await pool?.end();
  await db?.drop();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

/** A registry row started by the scheduler, with its catalogue record written on the primary `WRITTEN_AGO_S` ago. */
async function startedRow(id: number) {
  const attempt = new Date(Math.floor(Date.now() / 1000) * 1000 + id);
  await registry.insertPending([id]);
  await pool.query(`UPDATE packages_nuget_symbol_registry SET state = 1, last_synced_at = $2 WHERE packages_nuget_symbol_id = $1`, [id, attempt]);
  await records.upsert([
    {
      replicableName: NAME,
      modelRecordId: id,
      blobKey: `ab/cd/${id}/sym.pdb`,
      size: 0,
      fileStore: 'local',
      projectId: 1,
      primaryVerificationState: 'verification_pending',
      primaryChecksum: null,
      primaryVerifiedAt: null,
      attributes: {},
      createdAt: new Date(Date.now() - WRITTEN_AGO_S * 1000),
    },
  ]);
  return { replicableName: NAME, modelRecordId: id, attempt };
}

/** `{ <sample name>{le=…} → value }` of one family and label set, from the scrape. */
function samples(families: readonly MetricFamilySnapshot[], name: string, labels: Record<string, string>): Record<string, number> {
  const family = families.find((f) => f.name === name);
  const matching = (family?.values ?? []).filter((v) => Object.entries(labels).every(([k, value]) => v.labels[k] === value));
  return Object.fromEntries(matching.map((v) => [`${v.metricName ?? name}${v.labels['le'] === undefined ? '' : `{le=${v.labels['le']}}`}`, v.value]));
}

it('observes duration, bytes and lag of a synced download, and duration and bytes of a failed one', async () => {
  const data = Buffer.alloc(10_000, 7);
  stub.blobs.set(1, bufferBlob('primary/key', data));
  await expect(service.download(await startedRow(1))).resolves.toMatchObject({ status: 'synced', bytes: data.length });
  stub.blobs.set(2, { kind: 'missing' });
  await expect(service.download(await startedRow(2))).resolves.toMatchObject({ status: 'failed' });

  const families = await scrapeMetrics(client, 5000);
  expect(families.map((f) => [f.name, f.type])).toEqual([
    ['geo_sync_duration_seconds', 'histogram'],
    ['geo_sync_transferred_bytes', 'histogram'],
    ['geo_sync_lag_seconds', 'histogram'],
  ]);

  const synced = { replicable: NAME, result: 'synced' };
  expect(samples(families, 'geo_sync_duration_seconds', synced)).toMatchObject({ geo_sync_duration_seconds_count: 1, 'geo_sync_duration_seconds_bucket{le=+Inf}': 1 });
  expect(samples(families, 'geo_sync_duration_seconds', { replicable: NAME, result: 'failed' })).toMatchObject({ geo_sync_duration_seconds_count: 1 });

  // 10 000 bytes: above the 4 KiB bucket, within 16 KiB.
  expect(SYNC_BYTES_BUCKETS.slice(1, 3)).toEqual([4096, 16_384]);
  expect(samples(families, 'geo_sync_transferred_bytes', synced)).toMatchObject({
    'geo_sync_transferred_bytes_bucket{le=4096}': 0,
    'geo_sync_transferred_bytes_bucket{le=16384}': 1,
    geo_sync_transferred_bytes_sum: data.length,
    geo_sync_transferred_bytes_count: 1,
  });
  expect(samples(families, 'geo_sync_transferred_bytes', { replicable: NAME, result: 'failed' })).toMatchObject({ geo_sync_transferred_bytes_sum: 0, geo_sync_transferred_bytes_count: 1 });

  // Lag from the record's created_at (120 s ago): in the 300 s bucket, not the 60 s one; failures have none.
  const lag = samples(families, 'geo_sync_lag_seconds', { replicable: NAME });
  expect(lag).toMatchObject({ 'geo_sync_lag_seconds_bucket{le=60}': 0, 'geo_sync_lag_seconds_bucket{le=300}': 1, geo_sync_lag_seconds_count: 1 });
  expect(lag['geo_sync_lag_seconds_sum']).toBeGreaterThanOrEqual(WRITTEN_AGO_S);
  expect(lag['geo_sync_lag_seconds_sum']).toBeLessThan(WRITTEN_AGO_S + 30);
});
