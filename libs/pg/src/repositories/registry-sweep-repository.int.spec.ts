import type { Pool } from 'pg';
import { syncTimeoutValues, type ReplicableRecord } from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { migrate } from '../migrations/runner';
import { createPool } from '../pool';
import { PgRegistryRepository } from './registry-repository';
import { PgRegistrySweepRepository } from './registry-sweep-repository';
import { PgReplicableRecordRepository } from './replicable-record-repository';
import { PgSyncTraceContextRepository } from './sync-trace-context-repository';

const NAME = packagesNugetSymbol.name;
const TABLE = packagesNugetSymbol.registryTable;
const FK = packagesNugetSymbol.modelForeignKey;

function record(id: number, overrides: Partial<ReplicableRecord> = {}): ReplicableRecord {
  return {
    replicableName: NAME,
    modelRecordId: id,
    blobKey: `aa/bb/${id}/file.pdb`,
    size: 100 + id,
    fileStore: 'local',
    projectId: 7,
    primaryVerificationState: 'verification_pending',
    primaryChecksum: null,
    primaryVerifiedAt: null,
    attributes: { file: `lib${id}.pdb`, signature: `SIG${id}` },
    createdAt: new Date('2026-01-01T00:00:00Z'),
    ...overrides,
  };
}

describe('PgRegistrySweepRepository', () => {
  let db: TestDatabase;
  let pool: Pool;
  let repo: PgRegistrySweepRepository;
  let registry: PgRegistryRepository;
  let records: PgReplicableRecordRepository;

  beforeAll(async () => {
    db = await createTestDatabase('geo_pg_registry_sweep');
    await migrate({ role: 'secondary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 6 });
    repo = new PgRegistrySweepRepository(pool, packagesNugetSymbol);
    registry = new PgRegistryRepository(pool, packagesNugetSymbol);
    records = new PgReplicableRecordRepository(pool);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  beforeEach(async () => {
    await pool.query(`TRUNCATE ${TABLE}, geo_replicable_records, geo_sync_trace_contexts`);
  });

  async function setRows(sql: string, values: unknown[] = []): Promise<void> {
    await pool.query(sql, values);
  }

  it('track inserts pending registries and records in one transaction, reporting only new registries', async () => {
    await registry.insertPending([2]);
    const inserted = await repo.track([record(1), record(2), record(3)]);
    expect(inserted).toEqual([1, 3]);
    const rows = await pool.query<{ fk: string; state: number }>(`SELECT ${FK} AS fk, state FROM ${TABLE} ORDER BY ${FK}`);
    expect(rows.rows).toEqual([
      { fk: '1', state: 0 },
      { fk: '2', state: 0 },
      { fk: '3', state: 0 },
    ]);
    expect((await records.findByModelIds(NAME, [1, 2, 3])).map((r) => r.blobKey)).toEqual(['aa/bb/1/file.pdb', 'aa/bb/2/file.pdb', 'aa/bb/3/file.pdb']);
  });

  it('track writes nothing when the record upsert fails (one transaction)', async () => {
    await expect(repo.track([record(1), record(2, { primaryChecksum: 'not-hex' })])).rejects.toMatchObject({ name: 'ValidationError' });
    expect((await pool.query(`SELECT 1 FROM ${TABLE}`)).rowCount).toBe(0);
  });

  it('track rejects records of another type', async () => {
    await expect(repo.track([record(1, { replicableName: 'other_thing' })])).rejects.toThrow(/not a packages_nuget_symbol/);
  });

  it('trackedInRange reports registry and record rows of the range, and which exist', async () => {
    await repo.track([record(5), record(10), record(20)]);
    await registry.insertPending([12]); // registry without record
    await records.upsert([record(15)]); // record without registry
    await records.upsert([{ ...record(11), replicableName: 'another_type' }]); // other type: ignored
    expect(await repo.trackedInRange(10, 15)).toEqual([
      { modelId: 10, hasRegistry: true, hasRecord: true },
      { modelId: 12, hasRegistry: true, hasRecord: false },
      { modelId: 15, hasRegistry: false, hasRecord: true },
    ]);
    expect(await repo.maxTrackedModelId()).toBe(20);
    await expect(repo.trackedInRange(0, 5)).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('maxTrackedModelId is 0 when empty and sees records beyond the last registry', async () => {
    expect(await repo.maxTrackedModelId()).toBe(0);
    await registry.insertPending([3]);
    await records.upsert([record(40)]);
    expect(await repo.maxTrackedModelId()).toBe(40);
  });

  it('untrack deletes both rows and returns the deleted records with their blob keys', async () => {
    await repo.track([record(1), record(2), record(3)]);
    await registry.insertPending([4]); // no record: nothing to return for it
    const result = await repo.untrack([2, 4, 99]);
    expect(result.registryRowsDeleted).toBe(2);
    expect(result.records.map((r) => [r.modelRecordId, r.blobKey])).toEqual([[2, 'aa/bb/2/file.pdb']]);
    expect((await repo.trackedInRange(1, 10)).map((t) => t.modelId)).toEqual([1, 3]);
  });

  it('claimWithinCapacity never starts more than capacity − started rows', async () => {
    await registry.insertPending([1, 2, 3, 4, 5, 6, 7, 8]);
    const first = await repo.claimWithinCapacity({ capacity: 3, maxBatch: 1000 });
    expect(first.inFlight).toBe(0);
    // Pending rows are claimed by registry id, which insertPending assigns in no particular order.
    const firstIds = first.claimed.map((r) => r.modelId);
    expect(firstIds).toHaveLength(3);
    expect(first.claimed.every((r) => r.state === 'started' && r.lastSyncedAt !== null)).toBe(true);
    const second = await repo.claimWithinCapacity({ capacity: 3, maxBatch: 1000 });
    expect(second).toEqual({ inFlight: 3, claimed: [], traceContexts: new Map() });
    expect(await repo.countStarted()).toBe(3);
    await setRows(`UPDATE ${TABLE} SET state = 2 WHERE ${FK} = $1`, [firstIds[0]]);
    const third = await repo.claimWithinCapacity({ capacity: 3, maxBatch: 1000 });
    expect(third.inFlight).toBe(2);
    expect(third.claimed).toHaveLength(1);
    expect(firstIds).not.toContain(third.claimed[0]?.modelId);
    const batchLimited = await repo.claimWithinCapacity({ capacity: 100, maxBatch: 2 });
    expect(batchLimited.claimed).toHaveLength(2);
    expect(await repo.countStarted()).toBe(5);
  });

  it('concurrent claimWithinCapacity calls together stay within capacity (advisory lock)', async () => {
    await registry.insertPending(Array.from({ length: 50 }, (_, i) => i + 1));
    const claims = await Promise.all(Array.from({ length: 5 }, () => repo.claimWithinCapacity({ capacity: 7, maxBatch: 1000 })));
    const claimedIds = claims.flatMap((c) => c.claimed.map((r) => r.modelId));
    expect(claimedIds).toHaveLength(7);
    expect(new Set(claimedIds).size).toBe(7);
    expect(await repo.countStarted()).toBe(7);
  });

  it('claimWithinCapacity with withTraceContexts takes the claimed rows\' stored trace contexts (ADR 0009)', async () => {
    await registry.insertPending([1, 2, 3]);
    const traces = new PgSyncTraceContextRepository(pool);
    const carrier = (n: number) => ({ traceparent: `00-${'a'.repeat(31)}${n}-${'b'.repeat(15)}${n}-01` });
    await traces.save(NAME, new Map([[1, carrier(1)], [3, carrier(3)], [9, carrier(9)]]));
    // Without the option the contexts stay where they are.
    const plain = await repo.claimWithinCapacity({ capacity: 1, maxBatch: 1000 });
    expect(plain.traceContexts.size).toBe(0);
    const claim = await repo.claimWithinCapacity({ capacity: 10, maxBatch: 1000, withTraceContexts: true });
    const claimed = new Set(claim.claimed.map((r) => r.modelId));
    const expected = [1, 3].filter((id) => claimed.has(id)).map((id) => [id, carrier(id)]);
    expect([...claim.traceContexts]).toEqual(expect.arrayContaining(expected));
    expect(claim.traceContexts.size).toBe(expected.length);
    // Taken means gone: only the unclaimed id 9 (no registry row) and the row claimed without the option remain.
    const left = await pool.query<{ id: string }>('SELECT model_record_id AS id FROM geo_sync_trace_contexts ORDER BY 1');
    const plainId = plain.claimed[0]!.modelId;
    expect(left.rows.map((r) => Number(r.id))).toEqual([...(plainId === 2 ? [] : [plainId]), 9].sort((a, b) => a - b));
  });

  it('claimWithinCapacity validates its options', async () => {
    await expect(repo.claimWithinCapacity({ capacity: -1, maxBatch: 10 })).rejects.toMatchObject({ name: 'ValidationError' });
    await expect(repo.claimWithinCapacity({ capacity: 1, maxBatch: 0 })).rejects.toMatchObject({ name: 'ValidationError' });
  });

  it('failTimedOut fails only rows started before the cutoff, in batches, with the bulk values', async () => {
    await registry.insertPending([1, 2, 3, 4, 5, 6]);
    const now = new Date('2026-03-01T12:00:00.000Z');
    const old = new Date(now.getTime() - 9 * 3600_000);
    const recent = new Date(now.getTime() - 3600_000);
    await setRows(`UPDATE ${TABLE} SET state = 1, last_synced_at = $1, retry_count = 5 WHERE ${FK} IN (1, 2, 3)`, [old]);
    await setRows(`UPDATE ${TABLE} SET state = 1, last_synced_at = $1 WHERE ${FK} = 4`, [recent]);
    await setRows(`UPDATE ${TABLE} SET state = 2, last_synced_at = $1 WHERE ${FK} = 5`, [old]);
    const values = syncTimeoutValues(28800, { now, random: () => 0 });
    const cutoff = new Date(now.getTime() - 28800_000);
    expect(await repo.failTimedOut(cutoff, values, 2)).toBe(3);
    const rows = await pool.query<{ fk: string; state: number; last_sync_failure: string | null; retry_count: number; retry_at: Date | null }>(
      `SELECT ${FK} AS fk, state, last_sync_failure, retry_count, retry_at FROM ${TABLE} ORDER BY ${FK}`,
    );
    const byId = new Map(rows.rows.map((r) => [Number(r.fk), r]));
    for (const id of [1, 2, 3]) {
      expect(byId.get(id)).toEqual({ fk: String(id), state: 3, last_sync_failure: 'Sync timed out after 28800', retry_count: 1, retry_at: values.retryAt });
    }
    expect(values.retryAt.getTime() - now.getTime()).toBe(16_000); // next_retry_time(1) with no jitter
    expect(byId.get(4)?.state).toBe(1);
    expect(byId.get(5)?.state).toBe(2);
    expect(byId.get(6)?.state).toBe(0);
    expect(await repo.failTimedOut(cutoff, values)).toBe(0);
  });

  it('startedBefore pages started rows older than the cutoff with their attempt tokens', async () => {
    await registry.insertPending([1, 2, 3, 4]);
    const t = new Date('2026-03-01T10:00:00.123Z');
    await setRows(`UPDATE ${TABLE} SET state = 1, last_synced_at = $1 WHERE ${FK} IN (1, 2, 4)`, [t]);
    await setRows(`UPDATE ${TABLE} SET state = 1, last_synced_at = now() WHERE ${FK} = 3`);
    const cutoff = new Date('2026-03-01T11:00:00Z');
    const first = await repo.startedBefore(cutoff, { limit: 2 });
    expect(first.map((r) => [r.modelId, r.lastSyncedAt.toISOString()])).toEqual([
      [1, t.toISOString()],
      [2, t.toISOString()],
    ]);
    const second = await repo.startedBefore(cutoff, { afterId: first[1]!.id, limit: 2 });
    expect(second.map((r) => r.modelId)).toEqual([4]);
  });
});
