import { applySyncEvent, type TransitionContext } from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, registerRegistryRepoTests, type TestDatabase } from '@geo/testing';
import type { Pool } from 'pg';
import { createPool } from '../pool';
import { migrate } from '../migrations/runner';
import { PgRegistryRepository } from './registry-repository';

registerRegistryRepoTests(`pg ${packagesNugetSymbol.name}`, async () => {
  const db = await createTestDatabase('geo_pg_registry');
  await migrate({ role: 'secondary', databaseUrl: db.url }).catch(async (error: unknown) => {
    await db.drop();
    throw error;
  });
  const pool = createPool({ databaseUrl: db.url, max: 4 });
  return {
    repo: new PgRegistryRepository(pool, packagesNugetSymbol),
    async close() {
      await pool.end();
      await db.drop();
    },
  };
});

describe('PgRegistryRepository: attempt-guarded completion (ADR 0004 §5)', () => {
  const CTX: TransitionContext = { now: new Date('2030-01-01T00:00:00Z'), random: () => 0 };
  const FAILURE = { lastSyncFailure: 'Error downloading file', retryCount: 1, retryAt: new Date('2030-01-01T00:01:00Z') };
  let db: TestDatabase;
  let pool: Pool;
  let repo: PgRegistryRepository;
  let nextId = 1;

  beforeAll(async () => {
    db = await createTestDatabase('geo_pg_registry_attempt');
    await migrate({ role: 'secondary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 2 });
    repo = new PgRegistryRepository(pool, packagesNugetSymbol);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  /** A fresh row started at `at` (the attempt token), as the scheduler leaves it. */
  async function startedRow(at: Date) {
    const id = nextId++;
    await repo.insertPending([id]);
    await pool.query(`UPDATE packages_nuget_symbol_registry SET state = 1, last_synced_at = $2 WHERE packages_nuget_symbol_id = $1`, [id, at]);
    const row = await repo.findByModelId(id);
    expect(row?.lastSyncedAt?.toISOString()).toBe(at.toISOString());
    return row!;
  }

  it('markSynced with the current attempt writes; with another attempt it changes nothing', async () => {
    const attempt = new Date('2030-01-01T00:00:00.123Z');
    const row = await startedRow(attempt);
    const next = applySyncEvent(row, { event: 'synced', primaryVerificationSucceeded: true }, CTX);
    expect(await repo.markSynced(row.modelId, next, new Date(attempt.getTime() + 1))).toBeUndefined();
    expect((await repo.findByModelId(row.modelId))?.state).toBe('started');
    expect(await repo.markSynced(row.modelId, next, attempt)).toMatchObject({ state: 'synced', verificationState: 'verification_pending' });
    // A redelivered copy of the finished job: the row is no longer started.
    expect(await repo.markSynced(row.modelId, next, attempt)).toBeUndefined();
  });

  it('markSyncedMany writes each row whose own attempt still holds, answers in input order, and writes the same row as markSynced', async () => {
    const attempt = new Date('2030-01-02T00:00:00.007Z');
    const a = await startedRow(attempt);
    const b = await startedRow(attempt);
    const c = await startedRow(attempt);
    const single = await startedRow(attempt);
    const synced = (row: typeof a, verified: boolean) => applySyncEvent(row, { event: 'synced', primaryVerificationSucceeded: verified }, CTX);
    const answers = await repo.markSyncedMany([
      { modelId: c.modelId, next: synced(c, false), attempt },
      { modelId: a.modelId, next: synced(a, true), attempt },
      // b's lease is lost: another attempt token.
      { modelId: b.modelId, next: synced(b, true), attempt: new Date(attempt.getTime() + 1) },
    ]);
    expect(answers.map((r) => r?.modelId)).toEqual([c.modelId, a.modelId, undefined]);
    expect(answers[0]).toMatchObject({ state: 'synced', verificationState: 'verification_disabled', retryCount: 0, lastSyncFailure: null });
    expect(answers[1]).toMatchObject({ state: 'synced', verificationState: 'verification_pending' });
    expect((await repo.findByModelId(b.modelId))?.state).toBe('started');
    // Same stored row as the single-row path.
    const one = await repo.markSynced(single.modelId, synced(single, true), attempt);
    const { id: _a, modelId: _b, createdAt: _c, ...bulkFields } = answers[1]!;
    const { id: _d, modelId: _e, createdAt: _f, ...singleFields } = one!;
    expect(bulkFields).toEqual(singleFields);
    // Replayed: nothing is started any more.
    expect(await repo.markSyncedMany([{ modelId: a.modelId, next: synced(a, true), attempt }])).toEqual([undefined]);
    expect(await repo.markSyncedMany([])).toEqual([]);
  });

  it('markFailed with the current attempt writes; a lost lease (reset, restarted, finished) changes nothing', async () => {
    const attempt = new Date('2030-01-01T00:00:00.456Z');
    const row = await startedRow(attempt);
    expect(await repo.markFailed(row.modelId, FAILURE, new Date(attempt.getTime() - 1))).toBeUndefined();
    expect(await repo.markFailed(row.modelId, FAILURE, attempt)).toMatchObject({ state: 'failed', lastSyncFailure: 'Error downloading file', retryCount: 1 });
    // The row is failed now (no longer started): a second failure of the same attempt is dropped.
    expect(await repo.markFailed(row.modelId, { ...FAILURE, lastSyncFailure: 'again' }, attempt)).toBeUndefined();
    expect((await repo.findByModelId(row.modelId))?.lastSyncFailure).toBe('Error downloading file');

    // Reset to pending mid-download (a resync): both completions of the old attempt are dropped.
    const reset = await startedRow(attempt);
    await pool.query(`UPDATE packages_nuget_symbol_registry SET state = 0, last_synced_at = NULL WHERE packages_nuget_symbol_id = $1`, [reset.modelId]);
    expect(await repo.markFailed(reset.modelId, FAILURE, attempt)).toBeUndefined();
    const next = applySyncEvent(reset, { event: 'synced', primaryVerificationSucceeded: false }, CTX);
    expect(await repo.markSynced(reset.modelId, next, attempt)).toBeUndefined();
    expect(await repo.findByModelId(reset.modelId)).toMatchObject({ state: 'pending', lastSyncedAt: null, lastSyncFailure: null });
  });

  it('without an attempt keeps the old behaviour (markFailed from any state)', async () => {
    const id = nextId++;
    await repo.insertPending([id]);
    expect(await repo.markFailed(id, FAILURE)).toMatchObject({ state: 'failed' });
  });

  it('rejects an invalid attempt date before SQL', async () => {
    const row = await startedRow(new Date('2030-01-01T00:00:01Z'));
    await expect(repo.markFailed(row.modelId, FAILURE, new Date(Number.NaN))).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('findByModelIds returns the existing rows in model id order', async () => {
    const a = nextId++;
    const b = nextId++;
    await repo.insertPending([b, a]);
    expect((await repo.findByModelIds([b, 999_999, a])).map((r) => [r.modelId, r.state])).toEqual([
      [a, 'pending'],
      [b, 'pending'],
    ]);
    expect(await repo.findByModelIds([])).toEqual([]);
    await expect(repo.findByModelIds([0])).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('writeVerificationMany writes each row its own verification columns in one statement, and only those columns', async () => {
    const ids = [nextId++, nextId++, nextId++];
    await repo.insertPending(ids);
    const rows = await repo.findByModelIds(ids);
    const sha = 'ab'.repeat(32);
    const next = [
      { ...rows[0]!, verificationState: 'verification_succeeded' as const, verifiedAt: new Date('2030-01-02T00:00:00Z'), verificationChecksum: sha },
      {
        ...rows[1]!,
        verificationState: 'verification_failed' as const,
        verificationFailure: 'Checksum does not match',
        verificationRetryCount: 2,
        verificationRetryAt: new Date('2030-01-03T00:00:00Z'),
        checksumMismatch: true,
        verificationChecksumMismatched: 'cd'.repeat(32),
      },
      { ...rows[2]!, verificationState: 'verification_started' as const, verificationStartedAt: new Date('2030-01-04T00:00:00Z') },
    ];
    // The sync columns of the passed rows must not be written: change one behind the rows' back.
    await pool.query('UPDATE packages_nuget_symbol_registry SET state = 2 WHERE packages_nuget_symbol_id = $1', [ids[0]]);
    await repo.writeVerificationMany(next);
    const written = await repo.findByModelIds(ids);
    expect(written.map((r) => ({ ...r, id: 0 }))).toEqual(next.map((r, i) => ({ ...r, id: 0, state: i === 0 ? 'synced' : r.state })));
    await repo.writeVerificationMany([]);
    await expect(repo.writeVerificationMany([{ ...next[0]!, verificationChecksum: 'not hex' }])).rejects.toMatchObject({ name: 'ValidationError' });
  });
});
