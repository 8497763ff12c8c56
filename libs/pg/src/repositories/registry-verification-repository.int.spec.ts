import type { Pool } from 'pg';
import {
  applyRegistryChecksumResult,
  applyRegistryVerificationEvent,
  verificationTimeoutValues,
  type TransitionContext,
} from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { migrate } from '../migrations/runner';
import { createPool } from '../pool';
import { PgRegistryAdminRepository } from './registry-admin-repository';
import { PgRegistryRepository } from './registry-repository';
import type { StoredRegistryRow } from './registry-row-mapping';
import { PgRegistryVerificationRepository, type RegistryVerificationClaim } from './registry-verification-repository';

const TABLE = packagesNugetSymbol.registryTable;
const FK = packagesNugetSymbol.modelForeignKey;
const SYNCED = 2;
const LOCAL = 'ab'.repeat(32);
const PRIMARY = 'cd'.repeat(32);

describe('PgRegistryVerificationRepository (secondary verification queue)', () => {
  let db: TestDatabase;
  let pool: Pool;
  let repo: PgRegistryVerificationRepository;
  let registry: PgRegistryRepository;
  let admin: PgRegistryAdminRepository;

  beforeAll(async () => {
    db = await createTestDatabase('geo_pg_registry_verification');
    await migrate({ role: 'secondary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 10 });
    repo = new PgRegistryVerificationRepository(pool, packagesNugetSymbol);
    registry = new PgRegistryRepository(pool, packagesNugetSymbol);
    admin = new PgRegistryAdminRepository(pool, packagesNugetSymbol);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  beforeEach(async () => {
    await pool.query(`TRUNCATE ${TABLE}, geo_replicable_records RESTART IDENTITY`);
  });

  /** Inserts registry rows one by one (registry id order = model id order), with a record row unless `record: false`. */
  async function seed(rows: Record<number, Record<string, unknown>>, options: { record?: boolean } = {}): Promise<void> {
    for (const id of Object.keys(rows).map(Number).sort((a, b) => a - b)) {
      await registry.insertPending([id]);
      const set = { state: SYNCED, ...rows[id] };
      const keys = Object.keys(set);
      await pool.query(`UPDATE ${TABLE} SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE ${FK} = $1`, [id, ...keys.map((k) => set[k as keyof typeof set])]);
      if (options.record !== false) {
        await pool.query(
          `INSERT INTO geo_replicable_records (replicable_name, model_record_id, blob_key, size, file_store, created_at)
           VALUES ($1, $2, $3, $4, 1, now())`,
          [packagesNugetSymbol.name, id, `sym/${id}.pdb`, 100 + id],
        );
      }
    }
  }

  async function row(id: number): Promise<StoredRegistryRow> {
    const found = await registry.findByModelId(id);
    if (found === undefined) throw new Error(`no registry row for ${id}`);
    return found;
  }

  const ctx = (now = new Date()): TransitionContext => ({ now, random: () => 0 });
  const past = (seconds: number) => new Date(Date.now() - seconds * 1000);
  const future = (seconds: number) => new Date(Date.now() + seconds * 1000);

  describe('claimBatch', () => {
    it('claims synced rows only: pending first (never verified, then oldest verified_at), then failed rows that are due (earliest first)', async () => {
      await seed({
        1: { verification_state: 0, verified_at: past(100) },
        2: { verification_state: 0, verified_at: null },
        3: { verification_state: 0, verified_at: past(500) },
        4: { verification_state: 3, verification_retry_at: past(10), verification_failure: 'x' },
        5: { verification_state: 3, verification_retry_at: null, verification_failure: 'x' },
        6: { verification_state: 3, verification_retry_at: future(600), verification_failure: 'not due' },
        7: { verification_state: 2 },
        8: { verification_state: 4 },
        9: { verification_state: 1, verification_started_at: past(5) },
        10: { state: 0, verification_state: 0 },
        11: { state: 1, verification_state: 0 },
        12: { state: 3, verification_state: 3, verification_failure: 'x' },
      });
      // Pending first: 2 (NULL), 3, 1; then failed: 5 (NULL), 4.
      const first = await repo.claimBatch(4);
      expect(first.map((c) => c.row.modelId)).toEqual([1, 2, 3, 5]);
      const second = await repo.claimBatch(10);
      expect(second.map((c) => c.row.modelId)).toEqual([4]);
      expect(await repo.claimBatch(10)).toEqual([]);
    });

    it('marks the claims started with a millisecond token and returns the blob and the previous state', async () => {
      const earlier = new Date('2026-01-01T00:00:00.123Z');
      await seed({
        1: { verification_state: 0, verification_started_at: earlier },
        2: { verification_state: 3, verification_retry_at: past(1), verification_retry_count: 2, verification_failure: 'boom' },
      });
      await seed({ 3: { verification_state: 0 } }, { record: false });
      const before = Date.now();
      const claims = await repo.claimBatch(10);
      expect(claims.map((c) => c.row.modelId)).toEqual([1, 2, 3]);
      for (const claim of claims) {
        expect(claim.row.verificationState).toBe('verification_started');
        // The token round-trips through a JS Date exactly (cut to milliseconds in SQL).
        const token = claim.row.verificationStartedAt!.getTime();
        expect(token).toBeGreaterThanOrEqual(before - 1000);
        expect(await row(claim.row.modelId)).toEqual(claim.row);
      }
      expect(claims[0]!.blob).toEqual({ key: 'sym/1.pdb', size: 101, fileStore: 'local' });
      expect(claims[0]!.previous).toEqual({ verificationState: 'verification_pending', verificationStartedAt: earlier });
      expect(claims[1]!.previous).toEqual({ verificationState: 'verification_failed', verificationStartedAt: null });
      expect(claims[1]!.row).toMatchObject({ verificationRetryCount: 2, verificationFailure: 'boom' });
      expect(claims[2]!.blob).toBeNull();
    });

    it('concurrent claimers never get the same row', async () => {
      const rows: Record<number, Record<string, unknown>> = {};
      for (let id = 1; id <= 400; id += 1) rows[id] = { verification_state: id % 3 === 0 ? 3 : 0, verification_failure: id % 3 === 0 ? 'x' : null };
      await seed(rows, { record: false });
      const claimed: number[] = [];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (;;) {
            const batch = await repo.claimBatch(10);
            if (batch.length === 0) return;
            claimed.push(...batch.map((c) => c.row.modelId));
          }
        }),
      );
      expect(claimed).toHaveLength(400);
      expect(new Set(claimed).size).toBe(400);
    });
  });

  it('needsVerificationCount counts synced pending rows and due failed rows, up to the limit', async () => {
    await seed({
      1: { verification_state: 0 },
      2: { verification_state: 3, verification_retry_at: past(1), verification_failure: 'x' },
      3: { verification_state: 3, verification_retry_at: future(60), verification_failure: 'x' },
      4: { verification_state: 2 },
      5: { state: 3, verification_state: 0 },
      6: { verification_state: 3, verification_failure: 'x' },
    });
    expect(await repo.needsVerificationCount(100)).toBe(3);
    expect(await repo.needsVerificationCount(2)).toBe(2);
    expect(await repo.needsVerificationCount(0)).toBe(0);
  });

  describe('recordResults', () => {
    async function claimAll(): Promise<RegistryVerificationClaim[]> {
      return repo.claimBatch(100);
    }

    it('writes succeeded, mismatch (verification and sync failure) and disabled rows exactly as the domain computed them', async () => {
      const lastSynced = new Date('2026-01-02T03:04:05.678Z');
      await seed({
        1: { verification_state: 3, verification_failure: 'old', checksum_mismatch: true, verification_retry_at: past(1), verification_retry_count: 1, last_synced_at: lastSynced },
        2: { verification_state: 0, verification_retry_count: 2, last_synced_at: lastSynced },
        3: { verification_state: 0, last_synced_at: lastSynced },
      });
      const [c1, c2, c3] = await claimAll();
      const now = new Date();
      const results = [
        { claim: c1!, next: applyRegistryChecksumResult(c1!.row, { localChecksum: PRIMARY, primaryChecksum: PRIMARY, registryId: c1!.row.id }, ctx(now)) },
        { claim: c2!, next: applyRegistryChecksumResult(c2!.row, { localChecksum: LOCAL, primaryChecksum: PRIMARY, registryId: c2!.row.id }, ctx(now)) },
        { claim: c3!, next: applyRegistryVerificationEvent(c3!.row, { event: 'verification_disabled' }, ctx(now)) },
      ];
      const recorded = await repo.recordResults(results);
      expect(recorded.map((r) => [r.modelId, r.verificationState, r.state, r.checksumMismatch])).toEqual([
        [1, 'verification_succeeded', 'synced', false],
        [2, 'verification_failed', 'failed', true],
        [3, 'verification_disabled', 'synced', false],
      ]);
      expect(recorded.map((r) => r.verificationStartedAt)).toEqual([c1!.row.verificationStartedAt, c2!.row.verificationStartedAt, c3!.row.verificationStartedAt]);
      for (const result of results) expect(await row(result.claim.row.modelId)).toEqual(result.next);

      const mismatch = await row(2);
      expect(mismatch).toMatchObject({
        state: 'failed',
        verificationState: 'verification_failed',
        checksumMismatch: true,
        verificationChecksum: LOCAL,
        verificationChecksumMismatched: LOCAL,
        verificationRetryCount: 3,
        retryCount: 3,
        lastSyncedAt: lastSynced,
      });
      const failure = `Checksum does not match the primary checksum {:checksum=>"${LOCAL}", :primary_checksum=>"${PRIMARY}", :registry_id=>${c2!.row.id}}`;
      expect(failure.length).toBeLessThanOrEqual(255);
      expect(mismatch.verificationFailure).toBe(failure);
      // §3.3: the sync failure quotes the verification failure (ActiveSupport truncate(255) applies).
      const syncFailure = `Verification failed with: ${failure}`;
      expect(mismatch.lastSyncFailure).toBe(syncFailure.length <= 255 ? syncFailure : `${syncFailure.slice(0, 252)}...`);
      // retry_count 3: delay(3) = 81 + 15 + rand(30) × 4 with rand 0 → 96 s, for both machines.
      expect(mismatch.retryAt!.getTime() - now.getTime()).toBe(96_000);
      expect(mismatch.verificationRetryAt!.getTime() - now.getTime()).toBe(96_000);
      expect(await row(1)).toMatchObject({ checksumMismatch: false, verificationFailure: null, verificationRetryCount: 0, verifiedAt: now, lastSyncedAt: lastSynced });
    });

    it('drops results whose row was re-marked, resynced, reclaimed or deleted meanwhile', async () => {
      await seed({ 1: { verification_state: 0 }, 2: { verification_state: 0 }, 3: { verification_state: 0 }, 4: { verification_state: 0 }, 5: { verification_state: 0 } });
      const claims = await claimAll();
      const succeeded = (claim: RegistryVerificationClaim) => ({
        claim,
        next: applyRegistryChecksumResult(claim.row, { localChecksum: PRIMARY, primaryChecksum: PRIMARY, registryId: claim.row.id }, ctx()),
      });
      await admin.reverify(1); // REVERIFY (or a checksum_succeeded event): pending again
      await admin.startSync(2); // RESYNC: a download runs
      await registry.deleteByModelIds([3]); // deleted event
      await admin.reverify(4);
      const reclaimed = await repo.claimBatch(10); // claimed again by another worker: a newer token
      expect(reclaimed.map((c) => c.row.modelId)).toEqual([1, 4]);

      const recorded = await repo.recordResults(claims.map(succeeded));
      expect(recorded.map((r) => r.modelId)).toEqual([5]);
      expect((await row(1)).verificationStartedAt).toEqual(reclaimed[0]!.row.verificationStartedAt);
      expect(await row(2)).toMatchObject({ state: 'started', verificationState: 'verification_started' });
      expect(await registry.findByModelId(3)).toBeUndefined();

      // Old and new claims of one row in one statement: only the current one is written.
      const both = await repo.recordResults([succeeded(claims[3]!), succeeded(reclaimed[1]!)]);
      expect(both.map((r) => [r.modelId, r.verificationStartedAt])).toEqual([[4, reclaimed[1]!.row.verificationStartedAt]]);
    });

    it('refuses results that are not a claim outcome', async () => {
      await seed({ 1: { verification_state: 0 } });
      const [claim] = await claimAll();
      await expect(repo.recordResults([{ claim: claim!, next: claim!.row }])).rejects.toThrow(/succeeded, failed or disabled/);
      const unclaimed = { ...claim!, row: { ...claim!.row, verificationState: 'verification_pending' as const } };
      await expect(
        repo.recordResults([{ claim: unclaimed, next: applyRegistryVerificationEvent(claim!.row, { event: 'verification_disabled' }, ctx()) }]),
      ).rejects.toThrow(/is not a claim/);
    });
  });

  it('release gives claims back with their previous state and start time; a re-marked row is left alone', async () => {
    const earlier = new Date('2026-01-01T00:00:00.456Z');
    await seed({
      1: { verification_state: 0, verification_started_at: earlier },
      2: { verification_state: 3, verification_retry_at: past(1), verification_retry_count: 4, verification_failure: 'boom', checksum_mismatch: true },
      3: { verification_state: 0 },
    });
    const before = new Map(await Promise.all([1, 2, 3].map(async (id) => [id, await row(id)] as const)));
    const claims = await repo.claimBatch(10);
    await admin.reverify(3);
    const reverified = await row(3);
    expect(await repo.release(claims)).toBe(2);
    expect(await row(1)).toEqual(before.get(1));
    expect(await row(2)).toEqual(before.get(2));
    expect(await row(3)).toEqual(reverified);
    expect(await repo.release(claims)).toBe(0);
  });

  it('failTimedOut fails rows started before the cutoff in batches with GitLab\'s bulk values, leaving sync and mismatch columns alone', async () => {
    const lastSynced = new Date('2026-01-02T00:00:00.000Z');
    const rows: Record<number, Record<string, unknown>> = {};
    for (let id = 1; id <= 7; id += 1) {
      rows[id] = { verification_state: 1, verification_started_at: past(8 * 3600 + 60), verification_checksum: Buffer.from(LOCAL, 'hex'), checksum_mismatch: id === 1, last_synced_at: lastSynced };
    }
    rows[8] = { verification_state: 1, verification_started_at: past(7 * 3600) };
    rows[9] = { verification_state: 0, verification_started_at: past(9 * 3600) };
    rows[10] = { state: 3, verification_state: 1, verification_started_at: past(9 * 3600) };
    await seed(rows);
    const now = new Date();
    const values = verificationTimeoutValues(28_800, ctx(now));
    expect(await repo.failTimedOut(new Date(now.getTime() - 28_800_000), values, 3)).toBe(8);
    for (const id of [1, 2, 3, 4, 5, 6, 7, 10]) {
      expect(await row(id)).toMatchObject({
        verificationState: 'verification_failed',
        verificationFailure: 'Verification timed out after 28800',
        verificationChecksum: null,
        verificationRetryCount: 1,
        verificationRetryAt: values.verificationRetryAt,
        verifiedAt: now,
      });
    }
    expect(await row(1)).toMatchObject({ state: 'synced', checksumMismatch: true, lastSyncedAt: lastSynced, retryCount: 0 });
    expect((await row(10)).state).toBe('failed');
    expect((await row(8)).verificationState).toBe('verification_started');
    expect((await row(9)).verificationState).toBe('verification_pending');
  });
});
