import type { Pool } from 'pg';
import { applyRegistryVerificationTransition, type ReplicableRecord } from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { migrate } from '../migrations/runner';
import { createPool } from '../pool';
import { PgRegistryAdminRepository, type RegistryPageCursor, type RegistrySort } from './registry-admin-repository';
import { PgRegistryRepository } from './registry-repository';
import type { StoredRegistryRow } from './registry-row-mapping';
import { PgReplicableRecordRepository } from './replicable-record-repository';

const TABLE = packagesNugetSymbol.registryTable;
const FK = packagesNugetSymbol.modelForeignKey;

describe('PgRegistryAdminRepository', () => {
  let db: TestDatabase;
  let pool: Pool;
  let admin: PgRegistryAdminRepository;
  let registry: PgRegistryRepository;

  beforeAll(async () => {
    db = await createTestDatabase('geo_pg_registry_admin');
    await migrate({ role: 'secondary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 4 });
    admin = new PgRegistryAdminRepository(pool, packagesNugetSymbol);
    registry = new PgRegistryRepository(pool, packagesNugetSymbol);
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  beforeEach(async () => {
    await pool.query(`TRUNCATE ${TABLE}, geo_replicable_records RESTART IDENTITY`);
  });

  /** Inserts rows one by one (so registry id order = model id order) and sets their columns. */
  async function seed(rows: Record<number, Record<string, unknown>>): Promise<void> {
    for (const id of Object.keys(rows).map(Number).sort((a, b) => a - b)) {
      await registry.insertPending([id]);
      const set = rows[id] ?? {};
      const keys = Object.keys(set);
      if (keys.length === 0) continue;
      await pool.query(`UPDATE ${TABLE} SET ${keys.map((k, i) => `${k} = $${i + 2}`).join(', ')} WHERE ${FK} = $1`, [id, ...keys.map((k) => set[k])]);
    }
  }

  async function row(id: number): Promise<StoredRegistryRow> {
    const found = await admin.findByModelId(id);
    if (found === undefined) throw new Error(`no registry row for ${id}`);
    return found;
  }

  const retryAt = new Date('2026-02-01T00:00:00.000Z');
  const lastSync = new Date('2026-01-31T00:00:00.000Z');

  describe('startSync (RESYNC)', () => {
    it('starts synced, failed and pending rows with last_synced_at = now (ms) and nothing else changed', async () => {
      await seed({
        1: { state: 2, verification_state: 2, verification_checksum: Buffer.from('abcd', 'hex') },
        2: { state: 3, retry_count: 4, retry_at: retryAt, last_sync_failure: 'boom' },
        3: {},
      });
      const now = new Date('2026-03-01T12:00:00.123Z');
      for (const id of [1, 2, 3]) {
        const before = await row(id);
        const result = await admin.startSync(id, now);
        expect(result?.started).toBe(true);
        expect(result?.row).toEqual({ ...before, state: 'started', lastSyncedAt: now });
      }
    });

    it('leaves a started row alone and reports started: false; undefined for a missing row', async () => {
      await seed({ 1: { state: 1, last_synced_at: lastSync } });
      const result = await admin.startSync(1);
      expect(result).toEqual({ started: false, row: await row(1) });
      expect(result?.row.lastSyncedAt).toEqual(lastSync);
      expect(await admin.startSync(42)).toBeUndefined();
    });

    it('uses the database clock truncated to milliseconds by default', async () => {
      await seed({ 1: {} });
      const result = await admin.startSync(1);
      const raw = await pool.query<{ us: string }>(`SELECT extract(microseconds FROM last_synced_at)::bigint % 1000 AS us FROM ${TABLE} WHERE ${FK} = 1`);
      expect(raw.rows[0]?.us).toBe('0');
      expect(Math.abs((result?.row.lastSyncedAt?.getTime() ?? 0) - Date.now())).toBeLessThan(10_000);
    });
  });

  describe('resyncAll (RESYNC_ALL)', () => {
    it('sets state pending on non-pending rows only, keeping retry fields and last_synced_at (update_all)', async () => {
      await seed({
        1: { state: 2, last_synced_at: lastSync, verification_state: 2 },
        2: { state: 3, retry_count: 3, retry_at: retryAt, last_synced_at: lastSync, last_sync_failure: 'x' },
        3: { state: 1, last_synced_at: lastSync },
        4: {},
      });
      expect(await admin.resyncAll()).toBe(3);
      const r2 = await row(2);
      expect(r2).toMatchObject({ state: 'pending', retryCount: 3, retryAt, lastSyncedAt: lastSync, lastSyncFailure: 'x' });
      expect(await row(1)).toMatchObject({ state: 'pending', verificationState: 'verification_succeeded' });
      expect((await row(3)).state).toBe('pending');
      expect(await admin.resyncAll()).toBe(0);
    });

    it('applies the ids, state and verification filters', async () => {
      await seed({ 1: { state: 2 }, 2: { state: 3 }, 3: { state: 3, verification_state: 4 }, 4: { state: 2 } });
      expect(await admin.resyncAll({ state: 'failed', verificationState: 'verification_disabled' })).toBe(1);
      expect((await row(3)).state).toBe('pending');
      const id4 = (await row(4)).id;
      expect(await admin.resyncAll({ registryIds: [id4] })).toBe(1);
      expect((await row(4)).state).toBe('pending');
      expect(await admin.resyncAll({ state: 'pending' })).toBe(0);
      expect(await admin.resyncAll({ registryIds: [] })).toBe(0);
      expect((await row(1)).state).toBe('synced');
    });

    it('walks more rows than one batch', async () => {
      const ids = Array.from({ length: 2500 }, (_, i) => i + 1);
      await registry.insertPending(ids);
      await pool.query(`UPDATE ${TABLE} SET state = 2`);
      expect(await admin.resyncAll()).toBe(2500);
      expect((await pool.query(`SELECT 1 FROM ${TABLE} WHERE state = 0`)).rowCount).toBe(2500);
    });
  });

  describe('reverify (REVERIFY)', () => {
    it.each([
      ['succeeded', { verification_state: 2, verification_retry_count: 0 }],
      ['failed', { verification_state: 3, verification_retry_count: 3, verification_retry_at: retryAt, verification_failure: 'mismatch', checksum_mismatch: true, verification_checksum_mismatched: Buffer.from('beef', 'hex') }],
      ['disabled', { verification_state: 4, verification_retry_count: 2, verification_retry_at: retryAt, verification_failure: 'old', checksum_mismatch: true, verification_checksum_mismatched: Buffer.from('beef', 'hex') }],
    ])('from %s writes exactly what the domain transition computes', async (_label, columns) => {
      await seed({ 1: { state: 2, verification_checksum: Buffer.from('abcd', 'hex'), verified_at: lastSync, ...columns } });
      const before = await row(1);
      const expected = applyRegistryVerificationTransition(before, { event: 'verification_pending' }, { now: new Date(), random: () => 0 });
      expect(await admin.reverify(1)).toEqual(expected);
    });

    it('is undefined for a missing row', async () => {
      expect(await admin.reverify(9)).toBeUndefined();
    });
  });

  describe('reverifyAll (REVERIFY_ALL)', () => {
    it('marks synced rows not already pending as verification pending, changing only that column', async () => {
      await seed({
        1: { state: 2, verification_state: 2 },
        2: { state: 2, verification_state: 3, verification_failure: 'mismatch', verification_retry_count: 2 },
        3: { state: 2, verification_state: 0 },
        4: { state: 3, verification_state: 3 },
        5: { state: 0, verification_state: 4 },
      });
      expect(await admin.reverifyAll()).toBe(2);
      expect(await row(2)).toMatchObject({ verificationState: 'verification_pending', verificationFailure: 'mismatch', verificationRetryCount: 2 });
      expect((await row(1)).verificationState).toBe('verification_pending');
      expect((await row(4)).verificationState).toBe('verification_failed');
      expect((await row(5)).verificationState).toBe('verification_disabled');
    });

    it('applies filters; a non-synced state filter matches nothing', async () => {
      await seed({ 1: { state: 2, verification_state: 2 }, 2: { state: 2, verification_state: 3 } });
      expect(await admin.reverifyAll({ state: 'failed' })).toBe(0);
      expect(await admin.reverifyAll({ verificationState: 'verification_pending' })).toBe(0);
      expect(await admin.reverifyAll({ state: 'synced', verificationState: 'verification_failed' })).toBe(1);
      expect((await row(1)).verificationState).toBe('verification_succeeded');
      expect((await row(2)).verificationState).toBe('verification_pending');
    });
  });

  describe('list', () => {
    async function walk(sort: RegistrySort, limit: number, filter: { state?: 'synced' } = {}): Promise<number[]> {
      const seen: number[] = [];
      let after: RegistryPageCursor | undefined;
      for (let pages = 0; pages < 100; pages += 1) {
        const page = await admin.list({ sort, limit, ...filter, ...(after === undefined ? {} : { after }) });
        seen.push(...page.rows.map((r) => r.modelId));
        if (page.next === undefined) return seen;
        after = page.next;
      }
      throw new Error('pagination did not end');
    }

    /** Pages backwards from the end; the pages' rows, each page in sort order, joined back to front. */
    async function walkBackward(sort: RegistrySort, limit: number): Promise<number[]> {
      const seen: number[] = [];
      let before: RegistryPageCursor | undefined;
      for (let pages = 0; pages < 100; pages += 1) {
        const page = await admin.list({ sort, limit, backward: true, ...(before === undefined ? {} : { before }) });
        seen.unshift(...page.rows.map((r) => r.modelId));
        if (page.next === undefined) return seen;
        expect(page.next).toEqual(page.cursors[0]);
        before = page.next;
      }
      throw new Error('pagination did not end');
    }

    beforeEach(async () => {
      // Microsecond timestamps (a JS Date would round them) and ties exercise the keyset.
      await seed({
        1: { state: 2, verified_at: '2026-01-01T00:00:00.000001Z', last_synced_at: '2026-01-05T00:00:00Z' },
        2: { state: 2, verified_at: '2026-01-01T00:00:00.000002Z' },
        3: { state: 3, last_synced_at: '2026-01-03T00:00:00Z' },
        4: { state: 2, verified_at: '2026-01-01T00:00:00.000001Z', last_synced_at: '2026-01-03T00:00:00Z' },
        5: {},
        6: { state: 2, verified_at: '2026-01-02T00:00:00Z' },
      });
    });

    it.each<[RegistrySort, number[]]>([
      ['id_asc', [1, 2, 3, 4, 5, 6]],
      ['id_desc', [6, 5, 4, 3, 2, 1]],
      ['verified_at_asc', [1, 4, 2, 6, 3, 5]],
      ['verified_at_desc', [5, 3, 6, 2, 4, 1]],
      ['last_synced_at_asc', [3, 4, 1, 2, 5, 6]],
      ['last_synced_at_desc', [6, 5, 2, 1, 4, 3]],
    ])('%s pages through every row once in order', async (sort, expected) => {
      expect(await walk(sort, 2)).toEqual(expected);
      expect(await walk(sort, 1)).toEqual(expected);
      expect(await walk(sort, 1000)).toEqual(expected);
      expect(await walkBackward(sort, 2)).toEqual(expected);
      expect(await walkBackward(sort, 1)).toEqual(expected);
      expect(await walkBackward(sort, 1000)).toEqual(expected);
    });

    it('gives every row its cursor: forward from one continues after it, backward before it', async () => {
      const all = await admin.list({ sort: 'verified_at_asc', limit: 10, withTotalCount: true });
      expect(all.totalCount).toBe(6);
      expect(all.cursors).toHaveLength(6);
      const third = all.cursors[2];
      if (third === undefined) throw new Error('no cursor');
      expect((await admin.list({ sort: 'verified_at_asc', limit: 2, after: third })).rows.map((r) => r.modelId)).toEqual([6, 3]);
      const back = await admin.list({ sort: 'verified_at_asc', limit: 1, backward: true, before: third });
      expect(back.rows.map((r) => r.modelId)).toEqual([4]);
      expect(back.next).toEqual(back.cursors[0]);
      const start = await admin.list({ sort: 'verified_at_asc', limit: 5, backward: true, before: third });
      expect(start.rows.map((r) => r.modelId)).toEqual([1, 4]);
      expect(start.next).toBeUndefined();
      // The count ignores the page and the cursor but not the filters.
      expect((await admin.list({ limit: 1, state: 'synced', after: third, withTotalCount: true })).totalCount).toBe(4);
      expect((await admin.list({ limit: 1 })).totalCount).toBeUndefined();
      await expect(admin.list({ limit: 1, backward: true, after: third })).rejects.toMatchObject({ name: 'ValidationError' });
    });

    it('filters by state, registry ids and model ids', async () => {
      expect(await walk('id_asc', 2, { state: 'synced' })).toEqual([1, 2, 4, 6]);
      const id3 = (await row(3)).id;
      expect((await admin.list({ limit: 10, registryIds: [id3] })).rows.map((r) => r.modelId)).toEqual([3]);
      expect((await admin.list({ limit: 10, modelIds: [2, 5, 99] })).rows.map((r) => r.modelId)).toEqual([2, 5]);
      await expect(admin.list({ limit: 0 })).rejects.toMatchObject({ name: 'ValidationError' });
    });
  });

  it('searchModelIds matches any stored attribute, case-insensitively, with wildcards escaped', async () => {
    const rec = (id: number, file: string): ReplicableRecord => ({
      replicableName: packagesNugetSymbol.name,
      modelRecordId: id,
      blobKey: `k/${id}`,
      size: 1,
      fileStore: 'local',
      projectId: null,
      primaryVerificationState: 'verification_pending',
      primaryChecksum: null,
      primaryVerifiedAt: null,
      attributes: { file, signature: `SIG${id}` },
      createdAt: new Date(),
    });
    await new PgReplicableRecordRepository(pool).upsert([rec(1, 'MyLib.pdb'), rec(2, 'other.pdb'), rec(3, 'my_lib.pdb')]);
    expect(await admin.searchModelIds('mylib')).toEqual([1]);
    expect(await admin.searchModelIds('.PDB')).toEqual([1, 2, 3]);
    expect(await admin.searchModelIds('y_l')).toEqual([3]);
    expect(await admin.searchModelIds('sig2')).toEqual([2]);
    expect(await admin.searchModelIds('')).toEqual([]);
  });
});
