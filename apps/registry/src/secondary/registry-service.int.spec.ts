import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { UnavailableError } from '@geo/domain';
import { startGrpcServer, type GrpcServerHandle } from '@geo/grpc';
import { decodeSyncJob, ensureConsumer, ensureStream, geoSyncJobsStream, pullConsumer, type SyncJob } from '@geo/nats';
import {
  RegistryServiceClient,
  RegistrySort,
  SyncState,
  VerificationState,
  type ListRegistriesRequest,
  type ListRegistriesResponse,
  type ResyncRegistriesRequest,
  type ResyncRegistriesResponse,
  type ResyncRegistryRequest,
  type ResyncRegistryResponse,
  type ReverifyRegistriesRequest,
  type ReverifyRegistriesResponse,
  type ReverifyRegistryRequest,
  type ReverifyRegistryResponse,
} from '@geo/proto';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, recordingLogger, testServiceUrls, uniqueName } from '@geo/testing';
import { RegistryAdmin } from './registry-admin';
import { secondaryRegistryService } from './registry-service';
import { JetStreamSyncJobPublisher, type SyncJobPublisher } from './sync-job-publisher';
import { testRecord } from './test-support/fake-catalogue';
import { FK, secondaryDb, TABLE, type SecondaryDb } from './test-support/secondary-db';

const NAME = packagesNugetSymbol.name;

/** One unary call as a promise (the generated client's callback form). */
function call<Req, Res>(method: (req: Req, cb: (err: ServiceError | null, res: Res) => void) => unknown, request: Req): Promise<Res> {
  return new Promise((resolve, reject) => {
    method(request, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

describe('RegistryService on a secondary (gRPC over loopback, real PostgreSQL and NATS)', () => {
  let s: SecondaryDb;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let stream: string;
  let server: GrpcServerHandle;
  let client: RegistryServiceClient;
  const nudges = { count: 0, nudge() { this.count += 1; } };
  let failPublishing = false;

  beforeAll(async () => {
    s = await secondaryDb(await createTestDatabase('geo_registry_service'));
    nc = await connect({ servers: testServiceUrls().natsUrl });
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    stream = uniqueName('T_RESYNC_JOBS').toUpperCase();
    const subjectPrefix = `test.${stream.toLowerCase()}`;
    await ensureStream(jsm, geoSyncJobsStream({ name: stream, subjectPrefix }));
    await ensureConsumer(jsm, stream, pullConsumer({ durable: 'worker' }));
    const logger = recordingLogger();
    const jetStreamJobs = new JetStreamSyncJobPublisher({ link: { session: () => ({ js, jsm, epoch: 1 }) }, logger, stream: { name: stream, subjectPrefix } });
    const jobs: SyncJobPublisher = {
      isReady: () => true,
      publishJob: async (job) => {
        if (failPublishing) throw new UnavailableError('NATS is not connected');
        await jetStreamJobs.publishJob(job);
      },
    };
    const admin = new RegistryAdmin({ types: [{ replicable: packagesNugetSymbol, repository: s.admin }], jobs, nudges, logger });
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [secondaryRegistryService(admin, logger)] });
    client = new RegistryServiceClient(`127.0.0.1:${server.port}`, credentials.createInsecure());
  });

  afterAll(async () => {
    client?.close();
    await server?.shutdown(0);
    await jsm?.streams.delete(stream).catch(() => false);
    await nc?.close();
    await s?.close();
  });

  beforeEach(async () => {
    await s.pool.query(`TRUNCATE ${TABLE}, geo_replicable_records RESTART IDENTITY`);
    failPublishing = false;
    nudges.count = 0;
  });

  async function seed(id: number, columns: Record<string, unknown> = {}): Promise<void> {
    await s.registry.insertPending([id]);
    const keys = Object.keys(columns);
    if (keys.length > 0) {
      await s.pool.query(`UPDATE ${TABLE} SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE ${FK} = $1`, [id, ...keys.map((k) => columns[k])]);
    }
  }

  /** Jobs waiting in the work queue (acked, so each test sees only its own). */
  async function drainJobs(): Promise<SyncJob[]> {
    const consumer = await js.consumers.get(stream, 'worker');
    const jobs: SyncJob[] = [];
    for await (const msg of await consumer.fetch({ max_messages: 10, expires: 1000 })) {
      jobs.push(decodeSyncJob(msg.data));
      msg.ack();
    }
    return jobs;
  }

  const ref = (modelRecordId: number) => ({ ref: { replicableName: NAME, modelRecordId } });
  const resyncOne = (request: ResyncRegistryRequest) => call<ResyncRegistryRequest, ResyncRegistryResponse>((r, cb) => client.resyncRegistry(r, cb), request);
  const resync = (id: number) => resyncOne(ref(id));
  const resyncAll = (request: ResyncRegistriesRequest) => call<ResyncRegistriesRequest, ResyncRegistriesResponse>((r, cb) => client.resyncRegistries(r, cb), request);
  const reverify = (id: number) => call<ReverifyRegistryRequest, ReverifyRegistryResponse>((r, cb) => client.reverifyRegistry(r, cb), ref(id));
  const reverifyAll = (request: ReverifyRegistriesRequest) =>
    call<ReverifyRegistriesRequest, ReverifyRegistriesResponse>((r, cb) => client.reverifyRegistries(r, cb), request);

  it('ResyncRegistry starts a synced row and queues its job with the new attempt', async () => {
    await seed(5, { state: 2, verification_state: 2, retry_count: 0 });
    const { registry } = await resync(5);
    expect(registry).toMatchObject({ replicableName: NAME, modelRecordId: 5, state: SyncState.SYNC_STATE_STARTED, verificationState: VerificationState.VERIFICATION_STATE_SUCCEEDED });
    expect(registry?.lastSyncedAt).toEqual((await s.registry.findByModelId(5))?.lastSyncedAt);
    expect(await drainJobs()).toEqual([{ replicableName: NAME, modelRecordId: 5, attempt: registry?.lastSyncedAt }]);
  });

  it('ResyncRegistry leaves a started row alone (its download runs) and queues nothing', async () => {
    const attempt = new Date('2026-03-01T00:00:00.000Z');
    await seed(6, { state: 1, last_synced_at: attempt });
    const { registry } = await resync(6);
    expect(registry).toMatchObject({ state: SyncState.SYNC_STATE_STARTED, lastSyncedAt: attempt });
    expect(await drainJobs()).toEqual([]);
  });

  it('ResyncRegistry: NOT_FOUND without a row, INVALID_ARGUMENT for an unknown type, UNAVAILABLE when the job cannot be queued', async () => {
    await expect(resync(404)).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(resyncOne({ ref: { replicableName: 'nope', modelRecordId: 1 } })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await seed(7, { state: 3 });
    failPublishing = true;
    await expect(resync(7)).rejects.toMatchObject({ code: status.UNAVAILABLE, details: expect.stringMatching(/started but its sync job could not be queued/) });
    expect((await s.registry.findByModelId(7))?.state).toBe('started');
  });

  it('ResyncRegistries sets matching non-pending rows pending, keeps their retry fields and nudges the scheduler', async () => {
    const retryAt = new Date('2026-02-01T00:00:00.000Z');
    await seed(1, { state: 3, retry_count: 4, retry_at: retryAt, last_sync_failure: 'Error downloading file' });
    await seed(2, { state: 3 });
    await seed(3, { state: 2 });
    await seed(4);
    const res = await resyncAll({
      filter: { replicableName: NAME, ids: [], state: SyncState.SYNC_STATE_FAILED, verificationState: VerificationState.VERIFICATION_STATE_UNSPECIFIED },
    });
    expect(res.affectedCount).toBe(2);
    expect(await s.registry.findByModelId(1)).toMatchObject({ state: 'pending', retryCount: 4, retryAt, lastSyncFailure: 'Error downloading file' });
    expect((await s.registry.findByModelId(3))?.state).toBe('synced');
    expect(nudges.count).toBe(1);
    await expect(resyncAll({})).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('ReverifyRegistry and ReverifyRegistries mark verification pending', async () => {
    await seed(1, { state: 2, verification_state: 3, verification_failure: 'Checksum does not match', verification_retry_count: 2, checksum_mismatch: true });
    await seed(2, { state: 2, verification_state: 2 });
    await seed(3, { state: 3, verification_state: 2 });
    const one = await reverify(1);
    expect(one.registry).toMatchObject({ verificationState: VerificationState.VERIFICATION_STATE_PENDING, verificationRetryCount: 2, checksumMismatch: true });
    expect(one.registry?.verificationFailure).toBeUndefined();
    await expect(reverify(99)).rejects.toMatchObject({ code: status.NOT_FOUND });
    const all = await reverifyAll({
      filter: { replicableName: NAME, ids: [], state: SyncState.SYNC_STATE_UNSPECIFIED, verificationState: VerificationState.VERIFICATION_STATE_UNSPECIFIED },
    });
    expect(all.affectedCount).toBe(1); // row 2; row 1 is already pending, row 3 is not synced
    expect((await s.registry.findByModelId(2))?.verificationState).toBe('verification_pending');
    expect((await s.registry.findByModelId(3))?.verificationState).toBe('verification_succeeded');
  });

  it('ListRegistries filters, searches and pages with page tokens', async () => {
    for (const id of [1, 2, 3, 4, 5]) await seed(id, { state: id % 2 === 0 ? 3 : 2 });
    await s.records.upsert([testRecord(NAME, 2, { attributes: { file: 'Special.pdb' } }), testRecord(NAME, 3)]);
    const list = (req: Partial<ListRegistriesRequest>) =>
      call<ListRegistriesRequest, ListRegistriesResponse>((r, cb) => client.listRegistries(r, cb), {
        replicableName: NAME,
        ids: [],
        state: SyncState.SYNC_STATE_UNSPECIFIED,
        verificationState: VerificationState.VERIFICATION_STATE_UNSPECIFIED,
        keyword: '',
        sort: RegistrySort.REGISTRY_SORT_UNSPECIFIED,
        pageSize: 0,
        pageToken: '',
        backward: false,
        includeTotalCount: false,
        ...req,
      });
    const seen: number[] = [];
    let pageToken = '';
    do {
      const page = await list({ sort: RegistrySort.REGISTRY_SORT_ID_DESC, pageSize: 2, pageToken });
      expect(page.registries.length).toBeLessThanOrEqual(2);
      seen.push(...page.registries.map((r) => r.modelRecordId));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(seen).toEqual([5, 4, 3, 2, 1]);
    const backward: number[] = [];
    pageToken = '';
    do {
      const page = await list({ sort: RegistrySort.REGISTRY_SORT_ID_DESC, pageSize: 2, pageToken, backward: true });
      expect(page.rowTokens).toHaveLength(page.registries.length);
      backward.unshift(...page.registries.map((r) => r.modelRecordId));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(backward).toEqual([5, 4, 3, 2, 1]);
    const counted = await list({ pageSize: 1, includeTotalCount: true, state: SyncState.SYNC_STATE_SYNCED });
    expect(counted.totalCount).toBe(3);
    expect((await list({ pageSize: 2, pageToken: counted.rowTokens[0] ?? '' })).registries.map((r) => r.modelRecordId)).toEqual([2, 3]);
    expect((await list({ pageSize: 1 })).totalCount).toBeUndefined();
    expect((await list({ state: SyncState.SYNC_STATE_FAILED })).registries.map((r) => r.modelRecordId)).toEqual([2, 4]);
    expect((await list({ keyword: 'special' })).registries.map((r) => r.modelRecordId)).toEqual([2]);
    expect((await list({ keyword: 'nothing-matches' })).registries).toEqual([]);
    const first = await list({ pageSize: 1 });
    await expect(list({ pageSize: 1, pageToken: first.nextPageToken, sort: RegistrySort.REGISTRY_SORT_ID_DESC })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(list({ pageToken: 'garbage!' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(list({ pageSize: 5000 })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
  });

  it('ClaimRegistry, MarkSynced and MarkFailed answer UNIMPLEMENTED with the reason', async () => {
    await expect(call((r, cb) => client.claimRegistry(r, cb), ref(1))).rejects.toMatchObject({ code: status.UNIMPLEMENTED, details: expect.stringMatching(/scheduler starts rows/) });
    await expect(call((r, cb) => client.markSynced(r, cb), { ...ref(1), bytesDownloaded: 0 })).rejects.toMatchObject({ code: status.UNIMPLEMENTED });
    await expect(call((r, cb) => client.markFailed(r, cb), { ...ref(1), message: 'x', missingOnPrimary: false })).rejects.toMatchObject({ code: status.UNIMPLEMENTED });
  });
});
