import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnavailableError } from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { createTestDatabase, recordingLogger, waitFor } from '@geo/testing';
import { FsBlobStore, type BlobStore } from '@geo/storage';
import { ConsistencySweep, type ConsistencySweepOptions, type SweepPassReport } from './consistency-sweep';
import { FakeCatalogue, testRecord } from './test-support/fake-catalogue';
import { FK, secondaryDb, TABLE, type SecondaryDb } from './test-support/secondary-db';

const NAME = packagesNugetSymbol.name;
const record = (id: number, projectId = 1) => testRecord(NAME, id, { projectId });

describe('ConsistencySweep (real PostgreSQL, fake primary catalogue)', () => {
  let s: SecondaryDb;
  let blobRoot: string;
  let blobs: FsBlobStore;

  beforeAll(async () => {
    s = await secondaryDb(await createTestDatabase('geo_registry_sweep'));
  });

  afterAll(async () => {
    await s?.close();
  });

  beforeEach(async () => {
    await s.pool.query(`TRUNCATE ${TABLE}, geo_replicable_records`);
    blobRoot = mkdtempSync(join(tmpdir(), 'geo-registry-sweep-'));
    blobs = new FsBlobStore({ root: blobRoot });
  });

  afterEach(() => {
    rmSync(blobRoot, { recursive: true, force: true });
  });

  function sweep(catalogue: FakeCatalogue, extra: Partial<ConsistencySweepOptions> = {}) {
    const logger = recordingLogger();
    const nudges = { count: 0, nudge() { this.count += 1; } };
    const component = new ConsistencySweep({
      replicable: packagesNugetSymbol,
      catalogue,
      registry: s.sweep,
      blobs,
      nudges,
      logger,
      retryDelay: { initialMs: 20, maxMs: 50 },
      ...extra,
    });
    return { component, logger, nudges };
  }

  async function putBlob(id: number): Promise<string> {
    const key = record(id).blobKey;
    await blobs.put(key, Buffer.from(`blob ${id}`));
    return key;
  }

  it('backfills 5,000 existing primary records as pending registries with their records, then finds nothing', async () => {
    const catalogue = new FakeCatalogue(NAME);
    catalogue.add(Array.from({ length: 5000 }, (_, i) => record((i + 1) * 3))); // ids 3..15000: two ranges
    const { component, nudges } = sweep(catalogue);

    const first = await component.runPass();
    expect(first).toEqual({ ranges: 2, inserted: 5000, repaired: 0, removed: 0, blobsDeleted: 0, blobDeleteFailures: 0, changed: true });
    const states = await s.states();
    expect(states.size).toBe(5000);
    expect([...states.values()].every((state) => state === 0)).toBe(true);
    expect(states.has(15000)).toBe(true);
    const stored = await s.records.findByModelIds(NAME, [3, 15000]);
    expect(stored.map((r) => [r.modelRecordId, r.blobKey, r.size])).toEqual([
      [3, record(3).blobKey, 1003],
      [15000, record(15000).blobKey, 16000],
    ]);
    expect(nudges.count).toBe(6); // one per chunk of up to 1,000 inserted rows: 4 in the first range (3,333 ids), 2 in the second (1,667)

    const second = await component.runPass();
    expect(second.changed).toBe(false);
    expect(second.ranges).toBe(2);
    expect((await s.states()).size).toBe(5000);
  });

  it('removes orphans (deleted on the primary): rows first, then their blobs', async () => {
    const catalogue = new FakeCatalogue(NAME);
    catalogue.add([1, 2, 3, 4, 5].map((id) => record(id)));
    const { component } = sweep(catalogue);
    await component.runPass();
    const keys = await Promise.all([3, 4, 5].map(putBlob));
    await s.pool.query(`UPDATE ${TABLE} SET state = 2 WHERE ${FK} = 3`);

    catalogue.remove([3, 4]);
    const pass = await component.runPass();
    expect(pass).toMatchObject({ removed: 2, blobsDeleted: 2, blobDeleteFailures: 0, inserted: 0, changed: true });
    expect([...(await s.states()).keys()].sort((a, b) => a - b)).toEqual([1, 2, 5]);
    expect(await s.records.findByModelIds(NAME, [3, 4])).toEqual([]);
    expect(await blobs.exists(keys[0]!)).toBe(false);
    expect(await blobs.exists(keys[1]!)).toBe(false);
    expect(await blobs.exists(keys[2]!)).toBe(true);
  });

  it('narrowing the scope removes out-of-scope blobs and registries; widening syncs them again', async () => {
    const catalogue = new FakeCatalogue(NAME);
    catalogue.add([1, 2, 3].map((id) => record(id, 1)));
    catalogue.add([4, 5, 6].map((id) => record(id, 2)));
    const { component } = sweep(catalogue);
    await component.runPass();
    const keys = await Promise.all([1, 2, 3, 4, 5, 6].map(putBlob));
    await s.pool.query(`UPDATE ${TABLE} SET state = 2`);

    catalogue.inScope = (r) => r.projectId === 1; // the primary now lists only project 1 for this site
    const narrowed = await component.runPass();
    expect(narrowed).toMatchObject({ removed: 3, blobsDeleted: 3, inserted: 0 });
    expect([...(await s.states()).keys()].sort()).toEqual([1, 2, 3]);
    expect(await Promise.all(keys.map((k) => blobs.exists(k)))).toEqual([true, true, true, false, false, false]);

    catalogue.inScope = () => true;
    const widened = await component.runPass();
    expect(widened).toMatchObject({ inserted: 3, removed: 0 });
    const states = await s.states();
    expect([4, 5, 6].map((id) => states.get(id))).toEqual([0, 0, 0]); // pending: the scheduler downloads them
    expect([1, 2, 3].map((id) => states.get(id))).toEqual([2, 2, 2]); // untouched
  });

  it('repairs half-tracked ids and removes registries beyond the primary’s last id', async () => {
    const catalogue = new FakeCatalogue(NAME);
    catalogue.add([record(20), record(21)]);
    await s.registry.insertPending([20, 50_000]); // 20 lacks its record; 50,000 is unknown to the primary
    await s.records.upsert([record(21)]); // a record without its registry
    const { component, logger } = sweep(catalogue);

    const pass = await component.runPass();
    expect(pass).toMatchObject({ ranges: 5, inserted: 1, repaired: 1, removed: 1, blobsDeleted: 0 });
    expect([...(await s.states()).keys()].sort((a, b) => a - b)).toEqual([20, 21]);
    expect((await s.records.findByModelIds(NAME, [20, 21])).map((r) => r.modelRecordId)).toEqual([20, 21]);
    expect(logger.lines.some((l) => l.level === 'warn' && /blob key is unknown/.test(l.message) && JSON.stringify(l.fields.modelIds) === '[50000]')).toBe(true);
  });

  it('an empty primary and registry make an empty pass', async () => {
    const { component } = sweep(new FakeCatalogue(NAME));
    expect(await component.runPass()).toEqual({ ranges: 0, inserted: 0, repaired: 0, removed: 0, blobsDeleted: 0, blobDeleteFailures: 0, changed: false });
  });

  it('a failing blob delete leaves the rows removed, counts the failure and logs the orphan key', async () => {
    const catalogue = new FakeCatalogue(NAME);
    catalogue.add([record(1), record(2)]);
    const failing: Pick<BlobStore, 'delete'> = {
      delete: async (key) => {
        throw new UnavailableError(`store down deleting ${key}`);
      },
    };
    const { component, logger } = sweep(catalogue, { blobs: failing });
    await component.runPass();
    catalogue.remove([2]);
    const pass = await component.runPass();
    expect(pass).toMatchObject({ removed: 1, blobsDeleted: 0, blobDeleteFailures: 1 });
    expect([...(await s.states()).keys()]).toEqual([1]);
    const line = logger.lines.find((l) => l.level === 'error' && /left as an orphan/.test(l.message));
    expect(line?.fields).toMatchObject({ modelRecordId: 2, blobKey: record(2).blobKey });
  });

  it('as a component: survives the primary being down, converges, repeats passes only while they change, stops cleanly', async () => {
    const catalogue = new FakeCatalogue(NAME);
    catalogue.add([1, 2, 3].map((id) => record(id)));
    catalogue.failWith = new UnavailableError('primary unreachable');
    const passes: SweepPassReport[] = [];
    const { component, logger } = sweep(catalogue, { intervalMs: 60_000, rangeSize: 2, onPass: (p) => passes.push(p) });

    await component.start();
    try {
      await waitFor(() => logger.lines.filter((l) => l.level === 'warn' && /step failed/.test(l.message)).length >= 2, 'retried failures');
      expect((await s.states()).size).toBe(0);
      catalogue.failWith = undefined;
      await waitFor(() => passes.length >= 2, 'two passes');
      // The first pass inserted rows, so a second one ran at once; it found nothing, so the next waits 60 s.
      expect(passes[0]).toMatchObject({ inserted: 3, ranges: 2, changed: true });
      expect(passes[1]).toMatchObject({ changed: false });
      const describes = catalogue.calls.describe;
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(passes).toHaveLength(2);
      expect(catalogue.calls.describe).toBe(describes);
      expect((await s.states()).size).toBe(3);
    } finally {
      const stopping = Date.now();
      await component.stop();
      expect(Date.now() - stopping).toBeLessThan(1000); // the 60 s interval sleep is aborted
    }
  });
});
