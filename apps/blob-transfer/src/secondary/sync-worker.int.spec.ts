import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '@geo/domain';
import { encodeSyncJob, NatsLink, publish, syncJobMessageId, syncJobSubject, type SyncJob } from '@geo/nats';
import { createPool, migrate, PgRegistryRepository, PgReplicableRecordRepository } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { FsBlobStore } from '@geo/storage';
import { createTestDatabase, testServiceUrls, type TestDatabase, uniqueName, waitFor } from '@geo/testing';
import type { Pool } from 'pg';
import { BlobDownloadService } from './download-blob';
import { HttpBlobRetriever } from './http-blob-retriever';
import { SyncWorker, type JobSettlement, type SyncWorkerOptions } from './sync-worker';
import { bufferBlob, sha256Hex, startRetrieveStub, STUB_ACCESS_KEY, STUB_SECRET, type RetrieveStub } from './test-support/retrieve-stub';
import { filesUnder } from './test-support/support';

const NAME = packagesNugetSymbol.name;

describe('SyncWorker (real NATS JetStream, PostgreSQL, HTTP stub primary, fs blob store)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let registry: PgRegistryRepository;
  let records: PgReplicableRecordRepository;
  let stub: RetrieveStub;
  let client: HttpBlobRetriever;
  let nats: NatsLink;
  let root: string;
  let store: FsBlobStore;
  let streamName: string;
  let subjectPrefix: string;
  let workers: SyncWorker[];
  let settlements: JobSettlement[];
  let nextId = 1;

  beforeAll(async () => {
    db = await createTestDatabase('geo_blob_sync_worker');
    await migrate({ role: 'secondary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 6 });
    registry = new PgRegistryRepository(pool, packagesNugetSymbol);
    records = new PgReplicableRecordRepository(pool);
    stub = await startRetrieveStub();
    client = new HttpBlobRetriever({ baseUrl: stub.url, accessKey: STUB_ACCESS_KEY, secretAccessKey: STUB_SECRET, readTimeoutMs: 5000 });
    nats = new NatsLink({ servers: testServiceUrls().natsUrl, name: 'blob-transfer-test', logger: silentLogger, firstAttemptWaitMs: 5000 });
    await nats.start();
  });

  afterAll(async () => {
    await nats?.stop();
    client?.close();
    await stub?.close();
    await pool?.end();
    await db?.drop();
  });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'geo-blob-sync-'));
    store = new FsBlobStore({ root });
    const unique = uniqueName('t').toLowerCase();
    streamName = `GEO_SYNC_JOBS_${unique}`;
    subjectPrefix = `test.${unique}.jobs.sync`;
    workers = [];
    settlements = [];
  });

  afterEach(async () => {
    for (const worker of workers) await worker.stop();
    await nats.session()?.jsm.streams.delete(streamName).catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  });

  async function startWorker(options: Partial<SyncWorkerOptions> = {}): Promise<SyncWorker> {
    const downloader = new BlobDownloadService({ registries: [registry], records, retriever: client, blobStore: store, logger: silentLogger });
    const worker = new SyncWorker({
      nats,
      downloader,
      blobStore: store,
      logger: silentLogger,
      streamName,
      subjectPrefix,
      fetchExpiresMs: 1000,
      onSettled: (settlement) => settlements.push(settlement),
      ...options,
    });
    workers.push(worker);
    await worker.start();
    // The worker ensures the stream in the background (start never waits for NATS).
    await waitFor(async () => (await nats.session()?.jsm.streams.info(streamName).catch(() => undefined)) !== undefined, 'the stream to exist');
    return worker;
  }

  /** Rows started by "the scheduler" with their catalogue records and blobs on the stub primary. */
  async function startedRows(count: number, size = 32 * 1024): Promise<{ job: SyncJob; key: string; sha256: string }[]> {
    const rows = [];
    for (let i = 0; i < count; i += 1) {
      const id = nextId++;
      const attempt = new Date(Math.floor(Date.now() / 1000) * 1000 + (id % 1000));
      const key = `ab/${id % 7}/${id}/sym.pdb`;
      const data = Buffer.alloc(size, id % 251);
      await registry.insertPending([id]);
      await pool.query(`UPDATE packages_nuget_symbol_registry SET state = 1, last_synced_at = $2 WHERE packages_nuget_symbol_id = $1`, [id, attempt]);
      await records.upsert([
        {
          replicableName: NAME,
          modelRecordId: id,
          blobKey: key,
          size,
          fileStore: 'local',
          projectId: null,
          primaryVerificationState: 'verification_succeeded',
          primaryChecksum: sha256Hex([data]),
          primaryVerifiedAt: new Date(),
          attributes: {},
          createdAt: new Date(),
        },
      ]);
      stub.blobs.set(id, bufferBlob(key, data));
      rows.push({ job: { replicableName: NAME, modelRecordId: id, attempt }, key, sha256: sha256Hex([data]) });
    }
    return rows;
  }

  async function publishJob(job: SyncJob, msgId = syncJobMessageId(job)): Promise<void> {
    const session = nats.session();
    if (session === undefined) throw new Error('NATS not connected');
    await publish(session.js, syncJobSubject(job.replicableName, subjectPrefix), encodeSyncJob(job), { msgId });
  }

  async function states(ids: number[]): Promise<string[]> {
    return (await registry.findByModelIds(ids)).map((r) => r.state);
  }

  async function streamMessages(): Promise<number> {
    return (await nats.session()!.jsm.streams.info(streamName)).state.messages;
  }

  it('creates the stream and durable consumer, runs downloads concurrently, acks after the registry write', async () => {
    const rows = await startedRows(24);
    const worker = await startWorker({ concurrency: 4 });
    for (const { job } of rows) await publishJob(job);
    const ids = rows.map((r) => r.job.modelRecordId);
    await waitFor(async () => (await states(ids)).every((s) => s === 'synced'), 'every row to be synced', 30_000);
    await waitFor(() => settlements.length === rows.length, 'every job to be settled');
    expect(settlements.every((s) => s === 'ack')).toBe(true);
    for (const { key, sha256 } of rows) expect(sha256Hex([await readFile(join(root, key))])).toBe(sha256);
    expect((await filesUnder(root)).filter((f) => f.includes('tmp_'))).toEqual([]);
    // Work-queue retention: acked jobs are gone; nothing is pending on the durable consumer.
    await waitFor(async () => (await streamMessages()) === 0, 'the work queue to drain');
    const consumer = await nats.session()!.jsm.consumers.info(streamName, 'geo-blob-transfer');
    expect(consumer.config.ack_wait).toBe(60_000 * 1e6);
    expect(consumer.num_ack_pending).toBe(0);
    expect(worker.activeDownloads).toBe(0);
  }, 60_000);

  it('never runs more than `concurrency` downloads at once', async () => {
    const rows = await startedRows(6);
    let running = 0;
    let maxRunning = 0;
    for (const { job, key } of rows) {
      const data = Buffer.alloc(64 * 1024, 1);
      stub.blobs.set(
        job.modelRecordId,
        bufferBlob(key, data, {
          chunkBytes: 16 * 1024,
          beforeChunk: async (sent) => {
            if (sent === 0) maxRunning = Math.max(maxRunning, ++running);
            await new Promise((resolve) => setTimeout(resolve, 20));
            if (sent === 48 * 1024) running -= 1;
          },
        }),
      );
    }
    await startWorker({ concurrency: 2 });
    for (const { job } of rows) await publishJob(job);
    await waitFor(async () => (await states(rows.map((r) => r.job.modelRecordId))).every((s) => s === 'synced'), 'every row to be synced', 30_000);
    expect(maxRunning).toBe(2);
  }, 60_000);

  it('terminates a malformed job; a duplicate job of a finished attempt is acked without a second download', async () => {
    const [row] = await startedRows(1);
    await startWorker();
    await nats.session()!.js.publish(`${subjectPrefix}.${NAME}`, new TextEncoder().encode('{"not":"a job"}'));
    await publishJob(row!.job);
    await waitFor(() => settlements.length === 2, 'both messages to be settled');
    expect([...settlements].sort()).toEqual(['ack', 'term']);
    // The same attempt published again under another message id (a scheduler re-publish).
    await publishJob(row!.job, 'duplicate-copy');
    await waitFor(() => settlements.length === 3, 'the duplicate to be settled');
    expect(settlements[2]).toBe('ack');
    expect(stub.calls.get(row!.job.modelRecordId)).toBe(1);
    expect(await states([row!.job.modelRecordId])).toEqual(['synced']);
    await waitFor(async () => (await streamMessages()) === 0, 'the work queue to drain');
  }, 30_000);

  it('stop aborts a download in flight (no temp file left, row still started); the job is redelivered and completes', async () => {
    const [row] = await startedRows(1);
    let stall = true;
    let stalled = false;
    const data = Buffer.alloc(256 * 1024, 4);
    stub.blobs.set(
      row!.job.modelRecordId,
      bufferBlob(row!.key, data, {
        beforeChunk: async (sent) => {
          if (sent === 0 || !stall) return;
          stalled = true;
          while (stall) await new Promise((resolve) => setTimeout(resolve, 20));
        },
      }),
    );
    const first = await startWorker({ stopGraceMs: 50 });
    await publishJob(row!.job);
    await waitFor(() => stalled, 'the download to be in flight');
    await first.stop();
    expect(settlements).toEqual(['nak']);
    expect(await filesUnder(root)).toEqual([]);
    expect(await states([row!.job.modelRecordId])).toEqual(['started']);

    stall = false;
    await startWorker();
    await waitFor(async () => (await states([row!.job.modelRecordId]))[0] === 'synced', 'the redelivered job to complete', 20_000);
    expect(await readFile(join(root, row!.key))).toEqual(data);
    expect(settlements).toEqual(['nak', 'ack']);
  }, 40_000);

  it('removes temp files a killed process left behind before taking jobs', async () => {
    await mkdir(join(root, 'ab/cd'), { recursive: true });
    await writeFile(join(root, 'ab/cd/tmp_deadbeef'), 'partial');
    await writeFile(join(root, 'tmp_cafe'), 'partial');
    await store.put('ab/cd/kept.pdb', Buffer.from('a real blob'));
    await startWorker();
    await waitFor(async () => (await filesUnder(root)).length === 1, 'the temp files to be removed');
    expect(await filesUnder(root)).toEqual(['ab/cd/kept.pdb']);
  });
});
