import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ErrorCodes, UnavailableError, type ReplicableRecord } from '@geo/domain';
import { createPool, migrate, PgRegistryRepository, PgReplicableRecordRepository } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { FsBlobStore, type BlobStore } from '@geo/storage';
import { createTestDatabase, recordingLogger, type TestDatabase, waitFor } from '@geo/testing';
import type { Pool } from 'pg';
import { BlobDownloadService, type DownloadRecords } from './download-blob';
import { HttpBlobRetriever } from './http-blob-retriever';
import { bufferBlob, generatedChunks, sha256Hex, startRetrieveStub, STUB_ACCESS_KEY, STUB_SECRET, type RetrieveStub } from './test-support/retrieve-stub';
import { filesUnder } from './test-support/support';

const NAME = packagesNugetSymbol.name;
const MiB = 1024 * 1024;
const HOUR_S = 3600;
/** A body cut short: Node's `aborted` error, recorded through `Error downloading file`. */
const CUT_SHORT_REASON = 'Error downloading file: aborted';

describe('BlobDownloadService (real PostgreSQL, HTTP stub primary, fs blob store)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let registry: PgRegistryRepository;
  let records: PgReplicableRecordRepository;
  let stub: RetrieveStub;
  let client: HttpBlobRetriever;
  let root: string;
  let store: FsBlobStore;
  let logger: ReturnType<typeof recordingLogger>;
  let service: BlobDownloadService;
  let nextId = 1;

  beforeAll(async () => {
    db = await createTestDatabase('geo_blob_download');
    await migrate({ role: 'secondary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 4 });
    registry = new PgRegistryRepository(pool, packagesNugetSymbol);
    records = new PgReplicableRecordRepository(pool);
    stub = await startRetrieveStub();
    client = new HttpBlobRetriever({ baseUrl: stub.url, accessKey: STUB_ACCESS_KEY, secretAccessKey: STUB_SECRET, readTimeoutMs: 5000 });
  });

  afterAll(async () => {
    client?.close();
    await stub?.close();
    await pool?.end();
    await db?.drop();
  });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'geo-blob-download-'));
    store = new FsBlobStore({ root });
    logger = recordingLogger();
    service = makeService(store, registry);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  function makeService(blobStore: BlobStore, reg: PgRegistryRepository, recs: DownloadRecords = records): BlobDownloadService {
    return new BlobDownloadService({ registries: [reg], records: recs, retriever: client, blobStore, logger });
  }

  /** A registry row `started` by the scheduler at `attempt` (ms precision), plus its catalogue record. */
  async function startedRow(options: { blobKey?: string | null; retryCount?: number; primaryChecksum?: string | null } = {}) {
    const id = nextId++;
    const attempt = new Date(Math.floor(Date.now() / 1000) * 1000 + id);
    await registry.insertPending([id]);
    await pool.query(`UPDATE packages_nuget_symbol_registry SET state = 1, last_synced_at = $2, retry_count = $3 WHERE packages_nuget_symbol_id = $1`, [
      id,
      attempt,
      options.retryCount ?? 0,
    ]);
    const blobKey = options.blobKey === undefined ? `ab/cd/${id}/sym.pdb` : options.blobKey;
    if (blobKey !== null) {
      const record: ReplicableRecord = {
        replicableName: NAME,
        modelRecordId: id,
        blobKey,
        size: 0,
        fileStore: 'local',
        projectId: 1,
        primaryVerificationState: 'verification_pending',
        primaryChecksum: options.primaryChecksum ?? null,
        primaryVerifiedAt: null,
        attributes: {},
        createdAt: new Date(),
      };
      await records.upsert([record]);
    }
    return { id, attempt, blobKey, job: { replicableName: NAME, modelRecordId: id, attempt } };
  }

  async function row(id: number) {
    return (await registry.findByModelId(id))!;
  }

  function blobDownloadLines() {
    return logger.lines.filter((l) => l.message === 'Blob download');
  }

  it('downloads, verifies against the primary checksum, installs and marks synced', async () => {
    const { id, job, blobKey } = await startedRow();
    const data = Buffer.from('Microsoft C/C++ MSF 7.00 '.repeat(10_000));
    stub.blobs.set(id, bufferBlob('primary/key/ignored', data));

    await expect(service.download(job)).resolves.toEqual({ status: 'synced', bytes: data.length, sha256: sha256Hex([data]) });

    expect(await readFile(join(root, blobKey!))).toEqual(data);
    expect(await filesUnder(root)).toEqual([blobKey]);
    expect(await row(id)).toMatchObject({ state: 'synced', retryCount: 0, retryAt: null, lastSyncFailure: null, verificationState: 'verification_pending' });
    const [record] = await records.findByModelIds(NAME, [id]);
    expect(record).toMatchObject({ primaryChecksum: sha256Hex([data]), primaryVerificationState: 'verification_succeeded' });
    expect(blobDownloadLines()).toEqual([
      expect.objectContaining({
        level: 'info',
        fields: expect.objectContaining({
          model_record_id: id,
          bytes_downloaded: data.length,
          primary_missing_file: false,
          mark_as_synced: true,
          reason: null,
          download_time_s: expect.any(Number),
        }),
      }),
    ]);
  });

  it('without a primary checksum skips the hash check and leaves verification disabled; uses the header key without a record', async () => {
    const { id, job } = await startedRow({ blobKey: null });
    const data = Buffer.from('unverified on the primary');
    stub.blobs.set(id, bufferBlob('from/header/key.pdb', data, { checksum: '' }));
    await expect(service.download(job)).resolves.toMatchObject({ status: 'synced', bytes: data.length });
    expect(await readFile(join(root, 'from/header/key.pdb'))).toEqual(data);
    expect(await row(id)).toMatchObject({ state: 'synced', verificationState: 'verification_disabled' });
  });

  it('checksum mismatch: nothing installed, no temp file, row failed with GitLab text and n=1 backoff', async () => {
    const { id, job, blobKey } = await startedRow();
    const data = Buffer.from('bytes that do not hash to the header checksum');
    stub.blobs.set(id, bufferBlob(blobKey!, data, { checksum: sha256Hex([Buffer.from('other')]) }));
    const before = Date.now();
    await expect(service.download(job)).resolves.toEqual({ status: 'failed', reason: 'Downloaded file checksum mismatch' });
    const after = Date.now();

    expect(await filesUnder(root)).toEqual([]);
    const failed = await row(id);
    expect(failed).toMatchObject({ state: 'failed', retryCount: 1, lastSyncFailure: 'Downloaded file checksum mismatch' });
    // delay(1) = 1 + 15 + rand(0..29) × 2 = 16..74 s.
    expect(failed.retryAt!.getTime()).toBeGreaterThanOrEqual(before + 16_000);
    expect(failed.retryAt!.getTime()).toBeLessThanOrEqual(after + 74_000);
    expect(blobDownloadLines()[0]?.fields).toMatchObject({
      reason: 'Downloaded file checksum mismatch',
      primary_checksum: sha256Hex([Buffer.from('other')]),
      actual_checksum: sha256Hex([data]),
      mark_as_synced: false,
    });
  });

  it('a body shorter than its announced size (Content-Length) fails the download, and a previous copy stays intact', async () => {
    // Over HTTP the size is the Content-Length: a primary that sends fewer bytes can only end the
    // connection, so the client sees a body cut short (no clean end for the size check to catch).
    const { id, job, blobKey } = await startedRow();
    await store.put(blobKey!, Buffer.from('previous copy'));
    const data = Buffer.from('twelve bytes');
    stub.blobs.set(id, { ...bufferBlob(blobKey!, data, { checksum: '' }), size: data.length + 1 });
    await expect(service.download(job)).resolves.toEqual({ status: 'failed', reason: CUT_SHORT_REASON });
    expect(await row(id)).toMatchObject({ state: 'failed', retryCount: 1 });
    expect((await readFile(join(root, blobKey!))).toString()).toBe('previous copy');
    expect(await filesUnder(root)).toEqual([blobKey]);
  });

  it('file missing on the primary: GitLab text, primary_missing_file, retries capped at 4 h (not 1 h)', async () => {
    // retry_count 10 → n = 11, where delay(n) exceeds both caps: the cap decides.
    const { id, job } = await startedRow({ retryCount: 10 });
    stub.blobs.set(id, { kind: 'missing' });
    const before = Date.now();
    await expect(service.download(job)).resolves.toEqual({ status: 'failed', reason: 'The file is missing on the Geo primary site' });
    const after = Date.now();
    const failed = await row(id);
    expect(failed).toMatchObject({ state: 'failed', retryCount: 11, lastSyncFailure: 'The file is missing on the Geo primary site' });
    expect(failed.retryAt!.getTime() - before).toBeGreaterThanOrEqual((4 * HOUR_S + 16) * 1000);
    expect(failed.retryAt!.getTime() - after).toBeLessThanOrEqual((4 * HOUR_S + 74) * 1000);
    expect(blobDownloadLines()[0]?.fields).toMatchObject({ primary_missing_file: true, status_code: 404, bytes_downloaded: 0 });
    expect(await filesUnder(root)).toEqual([]);
  });

  it('other primary answers: "Non-success HTTP response status code <status>" (unknown record 404, bad credentials 401)', async () => {
    const unknown = await startedRow();
    await expect(service.download(unknown.job)).resolves.toEqual({ status: 'failed', reason: 'Non-success HTTP response status code 404' });

    const badAuth = await startedRow();
    stub.blobs.set(badAuth.id, bufferBlob(badAuth.blobKey!, Buffer.from('x')));
    const wrongSecret = new HttpBlobRetriever({ baseUrl: stub.url, accessKey: STUB_ACCESS_KEY, secretAccessKey: 'not-the-secret' });
    try {
      const other = new BlobDownloadService({ registries: [registry], records, retriever: wrongSecret, blobStore: store, logger });
      await expect(other.download(badAuth.job)).resolves.toEqual({ status: 'failed', reason: 'Non-success HTTP response status code 401' });
    } finally {
      wrongSecret.close();
    }
    expect(await row(badAuth.id)).toMatchObject({ state: 'failed', retryCount: 1 });
    // The refusal comes before the record is looked at: the stub counts authenticated requests only.
    expect(stub.calls.get(badAuth.id)).toBeUndefined();
  });

  it('a primary that cannot be reached: "Error downloading file: GET ... failed: connect ECONNREFUSED ...", no HTTP status', async () => {
    const { id, job } = await startedRow();
    // A loopback port nobody listens on any more.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => closed.close((error) => (error === undefined ? resolve() : reject(error))));
    const unreachable = new HttpBlobRetriever({ baseUrl: `http://127.0.0.1:${port}`, accessKey: STUB_ACCESS_KEY, secretAccessKey: STUB_SECRET });
    try {
      const other = new BlobDownloadService({ registries: [registry], records, retriever: unreachable, blobStore: store, logger });
      await expect(other.download(job)).resolves.toEqual({
        status: 'failed',
        reason: `Error downloading file: GET http://127.0.0.1:${port}/api/v4/geo/retrieve/${NAME}/${id} failed: connect ECONNREFUSED 127.0.0.1:${port}`,
      });
    } finally {
      unreachable.close();
    }
    expect(await row(id)).toMatchObject({ state: 'failed', retryCount: 1 });
    expect(blobDownloadLines()[0]?.fields).toMatchObject({ primary_missing_file: false, bytes_downloaded: 0 });
    expect(blobDownloadLines()[0]?.fields).not.toHaveProperty('status_code');
    expect(await filesUnder(root)).toEqual([]);
  });

  it('a stream cut off mid-transfer: "Error downloading file: <message>", no temp file', async () => {
    const { id, job, blobKey } = await startedRow();
    const data = Buffer.alloc(512 * 1024, 9);
    stub.blobs.set(id, { ...bufferBlob(blobKey!, data), failAfterBytes: 128 * 1024 });
    await expect(service.download(job)).resolves.toEqual({ status: 'failed', reason: CUT_SHORT_REASON });
    expect(await filesUnder(root)).toEqual([]);
    expect(await row(id)).toMatchObject({ state: 'failed', retryCount: 1 });
    expect(blobDownloadLines()[0]?.fields).toMatchObject({ mark_as_synced: false, primary_missing_file: false });
    expect(blobDownloadLines()[0]?.fields).not.toHaveProperty('status_code');
  });

  it('lost lease: a row reset to pending mid-download keeps its reset; the result is dropped', async () => {
    const { id, job, blobKey } = await startedRow();
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let stalled = false;
    const data = Buffer.alloc(256 * 1024, 3);
    stub.blobs.set(
      id,
      bufferBlob(blobKey!, data, {
        beforeChunk: async (sent) => {
          if (sent === 0) return;
          stalled = true;
          await released;
        },
      }),
    );
    const downloading = service.download(job);
    await waitFor(() => stalled, 'the stub to stall mid-stream');
    // A resync (or a `created` event on a mutable type) resets the row while the bytes flow.
    await pool.query(`UPDATE packages_nuget_symbol_registry SET state = 0, last_synced_at = NULL WHERE packages_nuget_symbol_id = $1`, [id]);
    release();
    await expect(downloading).resolves.toEqual({ status: 'lease-lost', result: 'synced' });
    expect(await row(id)).toMatchObject({ state: 'pending', lastSyncedAt: null, lastSyncFailure: null, retryCount: 0 });
    expect(blobDownloadLines()[0]?.fields).toMatchObject({ mark_as_synced: false, lease_lost: true });
  });

  it('a redelivered copy of a finished job changes nothing and does not download again', async () => {
    const { id, job } = await startedRow();
    stub.blobs.set(id, bufferBlob('k', Buffer.from('once')));
    await expect(service.download(job)).resolves.toMatchObject({ status: 'synced' });
    const synced = await row(id);
    const callsBefore = stub.calls.get(id);
    await expect(service.download(job)).resolves.toEqual({ status: 'skipped' });
    expect(await row(id)).toEqual(synced);
    expect(stub.calls.get(id)).toBe(callsBefore);

    // A job of an older attempt of a row that was started again is skipped too.
    await pool.query(`UPDATE packages_nuget_symbol_registry SET state = 1, last_synced_at = $2 WHERE packages_nuget_symbol_id = $1`, [
      id,
      new Date(job.attempt.getTime() + 60_000),
    ]);
    await expect(service.download(job)).resolves.toEqual({ status: 'skipped' });
    expect(stub.calls.get(id)).toBe(callsBefore);
  });

  it('our database down: a retryable error is thrown and nothing is marked', async () => {
    const { job } = await startedRow();
    const downPool = createPool({ databaseUrl: 'postgres://postgres@127.0.0.1:1/none', max: 1 });
    try {
      const down = makeService(store, new PgRegistryRepository(downPool, packagesNugetSymbol));
      await expect(down.download(job)).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE, retryable: true });
    } finally {
      await downPool.end();
    }
  });

  it('our blob store down: a retryable error is thrown, the row stays started, the request is cancelled', async () => {
    const { id, job, blobKey } = await startedRow();
    // The stub holds the rest of the body back until the end of the test: over HTTP/1.1 the socket
    // buffers would otherwise take all 256 KiB and the primary would finish before we hang up.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    stub.blobs.set(id, bufferBlob(blobKey!, Buffer.alloc(256 * 1024, 1), { beforeChunk: (sent) => (sent === 0 ? undefined : released) }));
    // Reads one chunk, then fails like a disk error would.
    const broken: BlobStore = {
      put: async (_key: string, source: Readable | Uint8Array) => {
        if (source instanceof Readable) for await (const _chunk of source) break;
        throw new UnavailableError('fs blob store: put failed: EIO');
      },
      get: (key) => store.get(key),
      head: (key) => store.head(key),
      exists: (key) => store.exists(key),
      delete: (key) => store.delete(key),
      list: (prefix) => store.list(prefix),
    };
    const cancelledBefore = stub.cancelled();
    try {
      await expect(makeService(broken, registry).download(job)).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE, retryable: true });
      expect(await row(id)).toMatchObject({ state: 'started', lastSyncFailure: null, retryCount: 0 });
      await waitFor(() => stub.cancelled() > cancelledBefore, 'the primary to see the request cancelled');
    } finally {
      release();
    }
  });

  it('an aborted download (shutdown) throws a retryable CANCELLED, leaves no temp file and the row started', async () => {
    const { id, job, blobKey } = await startedRow();
    let stalled = false;
    stub.blobs.set(
      id,
      bufferBlob(blobKey!, Buffer.alloc(512 * 1024, 5), {
        beforeChunk: async (sent) => {
          if (sent < 128 * 1024) return;
          stalled = true;
          await new Promise((resolve) => setTimeout(resolve, 2000));
        },
      }),
    );
    const cancelledBefore = stub.cancelled();
    const controller = new AbortController();
    const downloading = service.download(job, controller.signal);
    await waitFor(() => stalled, 'the stub to stall mid-stream');
    expect((await filesUnder(root)).some((f) => f.includes('tmp_'))).toBe(true);
    controller.abort(new Error('stopping'));
    await expect(downloading).rejects.toMatchObject({ code: ErrorCodes.CANCELLED, retryable: true });
    expect(await filesUnder(root)).toEqual([]);
    expect(await row(id)).toMatchObject({ state: 'started', lastSyncFailure: null });
    await waitFor(() => stub.cancelled() > cancelledBefore, 'the primary to see the request cancelled');
  });

  it('streams a 64 MiB blob with memory growth far below its size', async () => {
    const size = 64 * MiB;
    const { id, job, blobKey } = await startedRow();
    const checksum = sha256Hex(generatedChunks(size, id));
    stub.blobs.set(id, { kind: 'blob', blobKey: blobKey!, size, checksum, chunks: () => generatedChunks(size, id, 256 * 1024) });
    global.gc?.();
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
    try {
      await expect(service.download(job)).resolves.toEqual({ status: 'synced', bytes: size, sha256: checksum });
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage.rss());
    expect(peak - baseline).toBeLessThan(size / 2);
    expect(await row(id)).toMatchObject({ state: 'synced' });
  }, 60_000);
});
