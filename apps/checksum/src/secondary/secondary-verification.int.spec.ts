import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { loadConfig, type AppConfig } from '@geo/config';
import { applyRegistryVerificationEvent, delaySeconds, mathRandomJitter, type LoggerPort, type ReplicableRecord } from '@geo/domain';
import {
  createGeoCallAuthenticator,
  startGrpcServer,
  toProtoReplicable,
  toProtoSiteSettings,
  wrapServerStream,
  wrapUnary,
  type GrpcServerHandle,
} from '@geo/grpc';
import { createPool, migrate, PgRegistryAdminRepository, PgRegistryRepository, withTransaction } from '@geo/pg';
import { RegistryCatalogServiceService, type RegistryCatalogServiceServer } from '@geo/proto';
import { packagesNugetSymbol } from '@geo/replicables';
import type { Component } from '@geo/service-kit';
import { FsBlobStore, type BlobStore } from '@geo/storage';
import { createTestDatabase, recordingLogger, testServiceUrls, waitFor, type TestDatabase } from '@geo/testing';
import {
  InMemoryPrimaryCatalogue,
  primaryRecord,
  REGISTRY_FK,
  REGISTRY_TABLE,
  registryRows,
  seedSyncedRegistries,
  SEEDED_LAST_SYNCED_AT,
  sha256Hex,
  TEST_SECONDARY_SITE,
  type RegistryTestRow,
} from '../test-support/registry-fixtures';
import { buildSecondary, type SecondaryParts, type SecondaryTuning } from '../wiring';

const STARTED = 1;
const SUCCEEDED = 2;
const FAILED = 3;
const DISABLED = 4;
const SYNCED = 2;
const SYNC_FAILED = 3;
const MIN_FIRST_RETRY_S = delaySeconds(1, () => 0);
const MAX_FIRST_RETRY_S = delaySeconds(1, () => 29);

function secondaryConfig(databaseUrl: string, blobRoot: string, extra: Record<string, string> = {}): AppConfig {
  return loadConfig('checksum', {
    GEO_ROLE: 'secondary',
    GEO_SITE_NAME: 'secondary-verification-test',
    DATABASE_URL: databaseUrl,
    NATS_URL: testServiceUrls().natsUrl,
    BLOB_STORE_ROOT: blobRoot,
    GEO_PRIMARY_GRPC_URL: 'http://127.0.0.1:9',
    GEO_ACCESS_KEY: 'AKSECONDARYTEST00000',
    GEO_SECRET_ACCESS_KEY: 'secondary-test-secret-secondary-test-secret',
    ...extra,
  });
}

/** Seconds from `from` to `to`. */
const secondsBetween = (from: Date | null, to: Date | null): number => ((to?.getTime() ?? NaN) - (from?.getTime() ?? NaN)) / 1000;

describe('secondary verification (real PostgreSQL and fs blob store; in-memory primary catalogue)', () => {
  let db: TestDatabase;
  let blobRoot: string;
  let store: FsBlobStore;
  let seedPool: Pool;
  let catalogue: InMemoryPrimaryCatalogue;
  let logger: ReturnType<typeof recordingLogger>;
  let running: Component[];

  beforeEach(async () => {
    db = await createTestDatabase('geo_checksum_secondary');
    await migrate({ role: 'secondary', databaseUrl: db.url });
    blobRoot = mkdtempSync(join(tmpdir(), 'geo-checksum-secondary-'));
    store = new FsBlobStore({ root: blobRoot });
    seedPool = createPool({ databaseUrl: db.url, max: 4 });
    catalogue = new InMemoryPrimaryCatalogue();
    logger = recordingLogger();
    running = [];
  });

  afterEach(async () => {
    for (const component of [...running].reverse()) await component.stop();
    await seedPool.end();
    await db.drop();
    rmSync(blobRoot, { recursive: true, force: true });
  });

  /** Builds the secondary's parts like the app does (with the in-memory catalogue) and starts them. */
  async function startSecondary(tuning: SecondaryTuning = {}, log: LoggerPort = logger): Promise<SecondaryParts> {
    const parts = buildSecondary(secondaryConfig(db.url, blobRoot), log, { catalogue, pollIntervalMs: 20, maintenanceIntervalMs: 3_600_000, ...tuning });
    for (const component of parts.components ?? []) {
      await component.start();
      running.push(component);
    }
    return parts;
  }

  async function rows(): Promise<Map<number, RegistryTestRow>> {
    return registryRows(seedPool);
  }

  async function settled(ids: readonly number[], done: (row: RegistryTestRow) => boolean = (r) => r.verification_state !== 0 && r.verification_state !== STARTED): Promise<Map<number, RegistryTestRow>> {
    let last = new Map<number, RegistryTestRow>();
    await waitFor(async () => {
      last = await rows();
      return ids.every((id) => {
        const row = last.get(id);
        return row !== undefined && done(row);
      });
    }, `${ids.length} registries verified`, 15_000);
    return last;
  }

  /** What the event-log consumer does with `checksum_succeeded` (PgEventStore): the registry's `verification_pending`. */
  async function applyChecksumSucceededEvent(ids: readonly number[]): Promise<void> {
    await withTransaction(seedPool, async (tx) => {
      const registry = new PgRegistryRepository(tx, packagesNugetSymbol);
      const locked = await registry.lockByModelIds(ids);
      await registry.writeVerificationMany(
        locked.map((row) => applyRegistryVerificationEvent(row, { event: 'verification_pending' }, { now: new Date(), random: mathRandomJitter })),
      );
    });
  }

  it('match → succeeded; mismatch → GitLab\'s mismatch fields and a resync; missing blob → error and resync; primary not verified → disabled, then succeeded after its checksum_succeeded', async () => {
    const [match, mismatch, missing, unverified] = await seedSyncedRegistries(seedPool, store, 4);
    catalogue.set([primaryRecord(match!, match!.sha256), primaryRecord(mismatch!, mismatch!.sha256), primaryRecord(missing!, missing!.sha256), primaryRecord(unverified!, null)]);
    // The local copy of `mismatch` was corrupted (one byte, same size); `missing` is gone.
    const corrupted = Buffer.from(mismatch!.bytes);
    corrupted[0] = corrupted[0]! ^ 0xff;
    await store.put(mismatch!.key, corrupted);
    await store.delete(missing!.key);

    const { workers } = await startSecondary();
    const after = await settled([1, 2, 3, 4]);

    const ok = after.get(match!.id)!;
    expect(ok).toMatchObject({ state: SYNCED, verification_state: SUCCEEDED, verification_checksum: match!.sha256, checksum_mismatch: false, verification_failure: null, verification_retry_count: 0, retry_count: 0 });
    expect(ok.verified_at).not.toBeNull();
    expect(ok.last_synced_at).toEqual(SEEDED_LAST_SYNCED_AT);

    const bad = after.get(mismatch!.id)!;
    const localSha = sha256Hex(corrupted);
    const failure = `Checksum does not match the primary checksum {:checksum=>"${localSha}", :primary_checksum=>"${mismatch!.sha256}", :registry_id=>${bad.id}}`;
    expect(bad).toMatchObject({
      verification_state: FAILED,
      verification_failure: failure,
      verification_checksum: localSha,
      verification_checksum_mismatched: localSha,
      checksum_mismatch: true,
      verification_retry_count: 1,
      state: SYNC_FAILED,
      retry_count: 1,
      last_sync_failure: `Verification failed with: ${failure}`.length <= 255 ? `Verification failed with: ${failure}` : `${`Verification failed with: ${failure}`.slice(0, 252)}...`,
      last_synced_at: SEEDED_LAST_SYNCED_AT,
    });
    // First retry: next_retry_time(1) = verified_at + delay(1), delay(1) ∈ [16, 74] s, for both machines.
    for (const retry of [bad.retry_at, bad.verification_retry_at]) {
      expect(secondsBetween(bad.verified_at, retry)).toBeGreaterThanOrEqual(MIN_FIRST_RETRY_S);
      expect(secondsBetween(bad.verified_at, retry)).toBeLessThanOrEqual(MAX_FIRST_RETRY_S);
    }

    expect(after.get(missing!.id)).toMatchObject({
      verification_state: FAILED,
      verification_failure: 'Error during verification: File is not checksummable',
      verification_checksum: null,
      checksum_mismatch: false,
      state: SYNC_FAILED,
      retry_count: 1,
      last_sync_failure: 'Verification failed with: Error during verification: File is not checksummable',
    });

    const disabled = after.get(unverified!.id)!;
    expect(disabled).toMatchObject({ state: SYNCED, verification_state: DISABLED, verified_at: null, verification_checksum: null, retry_count: 0 });
    expect(disabled.verification_started_at).not.toBeNull(); // the worker claimed it and asked the primary
    expect(workers[0]!.counters).toMatchObject({ succeeded: 1, failed: 2, disabled: 1, superseded: 0 });

    // The primary verifies it and its `checksum_succeeded` event reaches this site.
    catalogue.set([primaryRecord(unverified!, unverified!.sha256)]);
    await applyChecksumSucceededEvent([unverified!.id]);
    const later = await settled([unverified!.id], (r) => r.verification_state === SUCCEEDED);
    expect(later.get(unverified!.id)).toMatchObject({ state: SYNCED, verification_checksum: unverified!.sha256, last_synced_at: SEEDED_LAST_SYNCED_AT });
    expect(later.get(unverified!.id)!.verified_at).not.toBeNull();
    // Every lookup was one call per batch: the first batch asked for all four at once.
    expect(catalogue.lookups[0]).toEqual([1, 2, 3, 4]);
  });

  it('REVERIFY (single and bulk) and checksum_succeeded re-queue verification; a bulk REVERIFY finds the corrupted copy and touches nothing else', async () => {
    const blobs = await seedSyncedRegistries(seedPool, store, 30);
    catalogue.set(blobs.map((b) => primaryRecord(b, b.sha256)));
    await startSecondary();
    const ids = blobs.map((b) => b.id);
    const first = await settled(ids, (r) => r.verification_state === SUCCEEDED);
    const admin = new PgRegistryAdminRepository(seedPool, packagesNugetSymbol);

    // Single REVERIFY: verified again, later.
    const before = first.get(5)!.verified_at!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await admin.reverify(5))?.verificationState).toBe('verification_pending');
    const single = await settled([5], (r) => r.verification_state === SUCCEEDED && r.verified_at!.getTime() > before.getTime());
    expect(single.get(5)!.verification_checksum).toBe(blobs[4]!.sha256);

    // checksum_succeeded for one record: verified again.
    const beforeEvent = single.get(6)!.verified_at!;
    await applyChecksumSucceededEvent([6]);
    await settled([6], (r) => r.verification_state === SUCCEEDED && r.verified_at!.getTime() > beforeEvent.getTime());

    // Corrupt one copy (same size), then bulk REVERIFY: only that one fails, every row is re-verified.
    const victim = blobs[9]!;
    const corrupted = Buffer.from(victim.bytes);
    corrupted[corrupted.length - 1] = corrupted[corrupted.length - 1]! ^ 0x01;
    writeFileSync(join(blobRoot, victim.key), corrupted);
    const bulkAt = new Date();
    expect(await admin.reverifyAll()).toBe(30);
    const bulk = await settled(ids, (r) => r.verification_state !== 0 && r.verification_state !== STARTED && r.verified_at!.getTime() >= bulkAt.getTime() - 5);
    expect(bulk.get(victim.id)).toMatchObject({ verification_state: FAILED, checksum_mismatch: true, state: SYNC_FAILED, retry_count: 1 });
    for (const blob of blobs.filter((b) => b !== victim)) {
      expect(bulk.get(blob.id)).toMatchObject({ verification_state: SUCCEEDED, state: SYNCED, checksum_mismatch: false, retry_count: 0, last_synced_at: SEEDED_LAST_SYNCED_AT });
    }
  });

  it('fails verifications started more than 8 h ago (timeout sweep), leaves younger ones, and verifies them once due', async () => {
    const blobs = await seedSyncedRegistries(seedPool, store, 3, { verificationState: STARTED });
    catalogue.set(blobs.map((b) => primaryRecord(b, b.sha256)));
    await seedPool.query(`UPDATE ${REGISTRY_TABLE} SET verification_started_at = now() - interval '8 hours 1 minute' WHERE ${REGISTRY_FK} IN (1, 2)`);
    await seedPool.query(`UPDATE ${REGISTRY_TABLE} SET verification_started_at = now() - interval '7 hours' WHERE ${REGISTRY_FK} = 3`);
    await startSecondary(); // maintenance runs once at start
    const after = await settled([1, 2], (r) => r.verification_state === FAILED);
    for (const id of [1, 2]) {
      const row = after.get(id)!;
      expect(row).toMatchObject({ verification_failure: 'Verification timed out after 28800', verification_retry_count: 1, verification_checksum: null });
      // Bulk (no callbacks): no resync.
      expect(row).toMatchObject({ state: SYNCED, retry_count: 0, last_sync_failure: null });
      expect(secondsBetween(row.verified_at, row.verification_retry_at)).toBeGreaterThanOrEqual(MIN_FIRST_RETRY_S);
      expect(secondsBetween(row.verified_at, row.verification_retry_at)).toBeLessThanOrEqual(MAX_FIRST_RETRY_S);
    }
    expect(after.get(3)!.verification_state).toBe(STARTED);
    expect(logger.lines.some((l) => l.message === 'checksum: verifications timed out' && l.fields['timedOut'] === 2)).toBe(true);

    // Not claimed before it is due; once due it is verified.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await rows()).get(1)!.verification_state).toBe(FAILED);
    await seedPool.query(`UPDATE ${REGISTRY_TABLE} SET verification_retry_at = now() - interval '1 second' WHERE ${REGISTRY_FK} = 1`);
    const retried = await settled([1], (r) => r.verification_state === SUCCEEDED);
    expect(retried.get(1)).toMatchObject({ verification_checksum: blobs[0]!.sha256, verification_failure: null, verification_retry_count: 0 });
  });

  it('two workers share the registry without ever claiming a row twice, each within this site\'s verification_max_capacity', async () => {
    const blobs = await seedSyncedRegistries(seedPool, store, 300, { minSize: 16, maxSize: 512 });
    catalogue.set(blobs.map((b) => primaryRecord(b, b.sha256)));
    catalogue.site = { ...catalogue.site, verificationMaxCapacity: 3 };
    // Both apps' support parts first, then both workers together, so neither gets a head start.
    const [a, b] = [0, 1].map(() => buildSecondary(secondaryConfig(db.url, blobRoot), logger, { catalogue, pollIntervalMs: 20, maintenanceIntervalMs: 3_600_000 }));
    const workers = [a!.workers[0]!, b!.workers[0]!];
    const isWorker = new Set<Component>(workers);
    for (const component of [...(a!.components ?? []), ...(b!.components ?? [])].filter((c) => !isWorker.has(c))) {
      await component.start();
      running.push(component);
    }
    await Promise.all(workers.map((w) => w.start()));
    running.push(...workers);
    expect(workers.map((w) => w.capacity)).toEqual([3, 3]);
    await settled(blobs.map((x) => x.id), (r) => r.verification_state === SUCCEEDED);
    // Each claimed row is looked up on the primary exactly once, by the worker that claimed it.
    const looked = catalogue.lookups.flat();
    expect(looked).toHaveLength(300);
    expect(new Set(looked).size).toBe(300);
    const counters = workers.map((w) => w.counters);
    expect(counters[0]!.succeeded + counters[1]!.succeeded).toBe(300);
    expect(counters.every((c) => c.succeeded > 0 && c.failed === 0 && c.superseded === 0)).toBe(true);
  });

  it('an unreachable primary fails nothing: the claims are released and verified once it is back', async () => {
    const blobs = await seedSyncedRegistries(seedPool, store, 12);
    catalogue.set(blobs.map((b) => primaryRecord(b, b.sha256)));
    catalogue.goDown();
    await startSecondary();
    await waitFor(() => logger.lines.some((l) => l.message.includes("claims were released")), 'a released batch');
    const during = await rows();
    expect([...during.values()].every((r) => r.state === SYNCED && (r.verification_state === 0 || r.verification_state === STARTED))).toBe(true);
    catalogue.restore();
    const after = await settled(blobs.map((b) => b.id), (r) => r.verification_state === SUCCEEDED);
    expect([...after.values()].every((r) => r.state === SYNCED && r.retry_count === 0 && r.verification_retry_count === 0)).toBe(true);
  });

  it('a row re-marked while its blob is being checksummed keeps the newer state (compare-and-set) and is verified again', async () => {
    const [blob] = await seedSyncedRegistries(seedPool, store, 1);
    catalogue.set([primaryRecord(blob!, blob!.sha256)]);
    const admin = new PgRegistryAdminRepository(seedPool, packagesNugetSymbol);
    let slowReads = 1;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: BlobStore = Object.assign(Object.create(store) as BlobStore, {
      get: async (key: string) => {
        if (slowReads-- > 0) await gate;
        return store.get(key);
      },
    });
    const { workers } = await startSecondary({ blobStore: slow });
    await waitFor(async () => (await rows()).get(blob!.id)?.verification_state === STARTED, 'the claim');
    await admin.reverify(blob!.id); // an operator's REVERIFY lands mid-checksum
    release();
    await settled([blob!.id], (r) => r.verification_state === SUCCEEDED);
    expect(workers[0]!.counters.superseded).toBe(1);
    expect(workers[0]!.counters.succeeded).toBe(1);
  });
});

describe('secondary verification through the primary catalogue over gRPC (PrimaryCatalogClient, GL-Geo JWT)', () => {
  const ACCESS_KEY = 'AKGRPCSECONDARY00000';
  const SECRET = 'grpc-secondary-secret-grpc-secondary-secret';
  let db: TestDatabase;
  let blobRoot: string;
  let store: FsBlobStore;
  let seedPool: Pool;
  let server: GrpcServerHandle;
  const records = new Map<number, ReplicableRecord>();
  const calls: Array<{ method: string; ids: readonly number[] }> = [];
  let parts: SecondaryParts | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('geo_checksum_secondary_grpc');
    await migrate({ role: 'secondary', databaseUrl: db.url });
    blobRoot = mkdtempSync(join(tmpdir(), 'geo-checksum-secondary-grpc-'));
    store = new FsBlobStore({ root: blobRoot });
    seedPool = createPool({ databaseUrl: db.url, max: 2 });
    // The primary's catalogue as the secondary sees it on the wire: the generated service, the real
    // codecs and the real GL-Geo check; the records come from memory instead of the primary's tables.
    const authenticate = createGeoCallAuthenticator<{ replicableName: string }, { secret: string; enabled: boolean }>({
      lookupSite: (key) => (key === ACCESS_KEY ? { secret: SECRET, enabled: true } : undefined),
      expected: (request) => ({ replicable_name: request.replicableName }),
    });
    const implementation: RegistryCatalogServiceServer = {
      listReplicables: wrapServerStream(async function* () {
        yield* [];
      }),
      getReplicables: wrapUnary(async (request, call) => {
        await authenticate(call);
        calls.push({ method: 'getReplicables', ids: request.modelRecordIds });
        return { replicables: request.modelRecordIds.flatMap((id) => (records.has(id) ? [toProtoReplicable(records.get(id)!)] : [])) };
      }),
      describeCatalog: wrapUnary(async (_request, call) => {
        await authenticate(call);
        calls.push({ method: 'describeCatalog', ids: [] });
        return { site: toProtoSiteSettings({ ...TEST_SECONDARY_SITE, verificationMaxCapacity: 7 }), maxModelRecordId: Math.max(0, ...records.keys()) };
      }),
    };
    server = await startGrpcServer({ host: '127.0.0.1', port: 0, services: [{ definition: RegistryCatalogServiceService, implementation }] });
  });

  afterAll(async () => {
    for (const component of [...(parts?.components ?? [])].reverse()) await component.stop();
    await server?.shutdown(0);
    await seedPool?.end();
    await db?.drop();
    rmSync(blobRoot, { recursive: true, force: true });
  });

  it('reads the site settings and every batch\'s primary checksums from the catalogue, authenticated as this site', async () => {
    const [match, mismatch, unverified] = await seedSyncedRegistries(seedPool, store, 3);
    for (const [blob, checksum] of [[match!, match!.sha256], [mismatch!, 'ef'.repeat(32)], [unverified!, null]] as const) records.set(blob.id, primaryRecord(blob, checksum));
    const config = secondaryConfig(db.url, blobRoot, {
      GEO_PRIMARY_REGISTRY_GRPC_URL: `http://127.0.0.1:${server.port}`,
      GEO_ACCESS_KEY: ACCESS_KEY,
      GEO_SECRET_ACCESS_KEY: SECRET,
    });
    parts = buildSecondary(config, recordingLogger(), { pollIntervalMs: 20, maintenanceIntervalMs: 3_600_000 });
    for (const component of parts.components ?? []) await component.start();
    expect(parts.workers[0]!.capacity).toBe(7);

    let after = new Map<number, RegistryTestRow>();
    await waitFor(async () => {
      after = await registryRows(seedPool);
      return [...after.values()].every((r) => r.verification_state !== 0 && r.verification_state !== STARTED);
    }, 'three registries verified');
    expect(after.get(match!.id)).toMatchObject({ verification_state: SUCCEEDED, verification_checksum: match!.sha256, state: SYNCED });
    expect(after.get(mismatch!.id)).toMatchObject({ verification_state: FAILED, checksum_mismatch: true, state: SYNC_FAILED });
    expect(after.get(mismatch!.id)!.verification_failure).toContain(`:primary_checksum=>"${'ef'.repeat(32)}"`);
    expect(after.get(unverified!.id)).toMatchObject({ verification_state: DISABLED, state: SYNCED });
    expect(calls.filter((c) => c.method === 'getReplicables').map((c) => c.ids)).toEqual([[1, 2, 3]]);
  });
});
