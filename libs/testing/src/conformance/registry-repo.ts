import { applySyncEvent, type RegistryRow, type TransitionContext } from '@geo/domain';

/** A stored registry row: the domain row plus its identity. */
export interface StoredRegistryRowUnderTest extends RegistryRow {
  readonly id: number;
  readonly modelId: number;
  readonly createdAt: Date;
}

/**
 * The `RegistryRepository` port as this suite exercises it. Declared structurally (it mirrors
 * `RegistryRepository` from `@geo/pg`) so the testing lib does not depend on the adapter whose
 * specs import it (Nx forbids the cycle); every adapter satisfies it without a cast.
 */
export interface RegistryRepoUnderTest {
  insertPending(modelIds: readonly number[]): Promise<number[]>;
  findByModelId(modelId: number): Promise<StoredRegistryRowUnderTest | undefined>;
  claimSyncBatch(options: { readonly limit: number; readonly now?: Date }): Promise<StoredRegistryRowUnderTest[]>;
  markSynced(modelId: number, next: RegistryRow): Promise<StoredRegistryRowUnderTest | undefined>;
  markFailed(
    modelId: number,
    failure: { readonly lastSyncFailure: string; readonly retryCount: number; readonly retryAt: Date | null },
  ): Promise<StoredRegistryRowUnderTest | undefined>;
  deleteByModelIds(modelIds: readonly number[]): Promise<number>;
}

/** A repository on a fresh, migrated tracking database, and how to dispose of both. */
export interface RegistryRepoFixture {
  readonly repo: RegistryRepoUnderTest;
  close(): Promise<void>;
}

const HOUR_MS = 60 * 60 * 1000;
const CTX: TransitionContext = { now: new Date('2030-01-01T00:00:00Z'), random: () => 0 };

/** The row a worker computes after downloading `row` (the domain's `synced` transition). */
function syncedFrom(row: RegistryRow, primaryVerificationSucceeded = false): RegistryRow {
  return applySyncEvent({ ...row, state: 'started' }, { event: 'synced', primaryVerificationSucceeded }, CTX);
}

/**
 * The `RegistryRepository` contract, run against every adapter and every replicable type
 * (`registerRegistryRepoTests('pg packages_nuget_symbol', factory)` from an `*.int.spec.ts`).
 * Each test gets a fresh fixture from `factory`.
 */
export function registerRegistryRepoTests(name: string, factory: () => Promise<RegistryRepoFixture>): void {
  describe(`RegistryRepository conformance: ${name}`, () => {
    let fixture: RegistryRepoFixture | undefined;
    let repo: RegistryRepoUnderTest;

    beforeEach(async () => {
      fixture = await factory();
      repo = fixture.repo;
    });

    afterEach(async () => {
      // Cleared so a failed factory in the next beforeEach does not close this fixture twice.
      const done = fixture;
      fixture = undefined;
      await done?.close();
    });

    it('inserts missing model ids as pending, once', async () => {
      expect(await repo.insertPending([3, 1, 2, 2])).toEqual([1, 2, 3]);
      expect(await repo.insertPending([2, 4])).toEqual([4]);
      const row = await repo.findByModelId(4);
      expect(row).toMatchObject({
        modelId: 4,
        state: 'pending',
        retryCount: 0,
        retryAt: null,
        lastSyncedAt: null,
        lastSyncFailure: null,
        verificationState: 'verification_pending',
        verificationChecksum: null,
        checksumMismatch: false,
      });
      expect(row?.createdAt).toBeInstanceOf(Date);
      expect(await repo.findByModelId(99)).toBeUndefined();
    });

    it('claims pending rows, moving them to started with last_synced_at = now', async () => {
      await repo.insertPending([10, 11, 12]);
      const now = new Date('2030-01-01T00:00:00Z');
      const claimed = await repo.claimSyncBatch({ limit: 2, now });
      expect(claimed.map((r) => r.modelId)).toEqual([10, 11]);
      for (const row of claimed) {
        expect(row.state).toBe('started');
        expect(row.lastSyncedAt?.toISOString()).toBe(now.toISOString());
      }
      // Already-started rows are never claimed again.
      expect((await repo.claimSyncBatch({ limit: 10, now })).map((r) => r.modelId)).toEqual([12]);
      expect(await repo.claimSyncBatch({ limit: 10, now })).toEqual([]);
    });

    it('never hands the same row to two concurrent claimers', async () => {
      const ids = Array.from({ length: 40 }, (_, i) => i + 1);
      await repo.insertPending(ids);
      const batches = await Promise.all(Array.from({ length: 4 }, () => repo.claimSyncBatch({ limit: 15 })));
      // SKIP LOCKED may leave a claimer short (rows re-checked after a concurrent commit), so a
      // final claim collects what the racers skipped; no row may ever be handed out twice.
      for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(15);
      const rest = await repo.claimSyncBatch({ limit: ids.length });
      const claimed = [...batches.flat(), ...rest].map((r) => r.modelId);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.sort((a, b) => a - b)).toEqual(ids);
    });

    it('marks a started row synced (compare-and-set) and clears the failure fields', async () => {
      await repo.insertPending([20]);
      await repo.claimSyncBatch({ limit: 1 });
      await repo.markFailed(20, { lastSyncFailure: 'boom', retryCount: 2, retryAt: new Date(Date.now() - 1000) });
      const [started] = await repo.claimSyncBatch({ limit: 1 });
      const synced = await repo.markSynced(20, syncedFrom(started!));
      expect(synced).toMatchObject({ modelId: 20, state: 'synced', retryCount: 0, retryAt: null, lastSyncFailure: null });
      expect(synced?.verificationState).toBe('verification_disabled');
      expect((await repo.findByModelId(20))?.state).toBe('synced');
    });

    it('loses the compare-and-set when the row is not started', async () => {
      await repo.insertPending([30]);
      const next = syncedFrom((await repo.findByModelId(30))!);
      expect(await repo.markSynced(30, next)).toBeUndefined();
      expect((await repo.findByModelId(30))?.state).toBe('pending');
      // A synced row cannot be synced twice either, and a missing row is not an error.
      await repo.claimSyncBatch({ limit: 1 });
      expect(await repo.markSynced(30, next)).toMatchObject({ modelId: 30, state: 'synced' });
      expect(await repo.markSynced(30, next)).toBeUndefined();
      expect(await repo.markSynced(31, next)).toBeUndefined();
    });

    it('writes a domain-computed synced row, including packed checksums read back as lowercase hex', async () => {
      await repo.insertPending([35]);
      const [started] = await repo.claimSyncBatch({ limit: 1 });
      const checksum = 'AB'.repeat(32);
      const next = {
        ...started!,
        state: 'synced' as const,
        verificationState: 'verification_succeeded' as const,
        verificationChecksum: checksum,
        verifiedAt: new Date('2030-01-02T00:00:00Z'),
      };
      const written = await repo.markSynced(35, next);
      expect(written).toMatchObject({ state: 'synced', verificationState: 'verification_succeeded', verificationChecksum: 'ab'.repeat(32) });
      expect(written?.verifiedAt?.toISOString()).toBe('2030-01-02T00:00:00.000Z');
      await expect(repo.markSynced(35, { ...next, state: 'failed' })).rejects.toMatchObject({ name: 'ValidationError' });
    });

    it('marks failed with the given backoff and re-claims only once retry_at is due', async () => {
      await repo.insertPending([40, 41]);
      const now = new Date('2030-01-01T00:00:00Z');
      await repo.claimSyncBatch({ limit: 2, now });
      const retryAt = new Date(now.getTime() + HOUR_MS);
      const failed = await repo.markFailed(40, { lastSyncFailure: 'Error downloading file', retryCount: 1, retryAt });
      expect(failed).toMatchObject({ state: 'failed', retryCount: 1, lastSyncFailure: 'Error downloading file' });
      expect(failed?.retryAt?.toISOString()).toBe(retryAt.toISOString());
      await repo.markFailed(41, { lastSyncFailure: 'no retry time', retryCount: 1, retryAt: null });

      // 41 has no retry_at (due now); 40 is not due yet.
      expect((await repo.claimSyncBatch({ limit: 10, now })).map((r) => r.modelId)).toEqual([41]);
      const later = new Date(retryAt.getTime() + 1000);
      expect((await repo.claimSyncBatch({ limit: 10, now: later })).map((r) => r.modelId)).toEqual([40]);
    });

    it('claims pending rows before due failed rows', async () => {
      await repo.insertPending([50]);
      await repo.claimSyncBatch({ limit: 1 });
      await repo.markFailed(50, { lastSyncFailure: 'x', retryCount: 1, retryAt: null });
      await repo.insertPending([51]);
      expect((await repo.claimSyncBatch({ limit: 1 })).map((r) => r.modelId)).toEqual([51]);
    });

    it('rejects a failure text longer than 255 characters', async () => {
      await repo.insertPending([60]);
      await expect(repo.markFailed(60, { lastSyncFailure: 'x'.repeat(256), retryCount: 1, retryAt: null })).rejects.toMatchObject({
        name: 'ValidationError',
      });
    });

    it('deletes rows by model id', async () => {
      await repo.insertPending([70, 71, 72]);
      expect(await repo.deleteByModelIds([70, 72, 999])).toBe(2);
      expect(await repo.findByModelId(70)).toBeUndefined();
      expect((await repo.findByModelId(71))?.state).toBe('pending');
      expect(await repo.deleteByModelIds([])).toBe(0);
    });
  });
}
