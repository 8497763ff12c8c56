import type { RegistryRow, ReplicableRecord } from '@geo/domain';
import type { StoredRegistryRow, SyncedWrite } from '@geo/pg';
import { packagesNugetSymbol } from '@geo/replicables';
import { groupCommitRecords, groupCommitRegistry } from './group-commit';

const row = (modelId: number): StoredRegistryRow => ({ modelId, id: modelId + 1000, state: 'started' }) as unknown as StoredRegistryRow;

/** A registry whose bulk calls are recorded and resolve only when the test says so. */
function fakeRegistry() {
  const reads: number[][] = [];
  const writes: SyncedWrite[][] = [];
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  return {
    reads,
    writes,
    open: () => release(),
    registry: {
      replicable: packagesNugetSymbol,
      async findByModelIds(ids: readonly number[]) {
        reads.push([...ids]);
        await gate;
        return ids.filter((id) => id !== 404).map(row);
      },
      async markSyncedMany(items: readonly SyncedWrite[]) {
        writes.push([...items]);
        await gate;
        return items.map((i) => (i.modelId === 409 ? undefined : row(i.modelId)));
      },
      markSynced: jest.fn(),
      markFailed: jest.fn(),
    },
  };
}

const NEXT = { state: 'synced' } as RegistryRow;
const AT = new Date('2030-01-01T00:00:00Z');

describe('groupCommitRegistry', () => {
  it('merges reads that arrive while one runs into the next statement, answering each caller its own row', async () => {
    const fake = fakeRegistry();
    // maxInFlight 1: the first read runs alone, the next three wait and go together.
    const registry = groupCommitRegistry(fake.registry, { maxInputs: 10, maxInFlight: 1 });
    const answers = Promise.all([1, 2, 404, 3].map((id) => registry.findByModelId(id)));
    fake.open();
    expect((await answers).map((r) => r?.modelId)).toEqual([1, 2, undefined, 3]);
    expect(fake.reads).toEqual([[1], [2, 404, 3]]);
  });

  it('merges guarded synced writes and keeps each compare-and-set answer', async () => {
    const fake = fakeRegistry();
    const registry = groupCommitRegistry(fake.registry, { maxInputs: 10, maxInFlight: 1 });
    const answers = Promise.all([5, 409, 6].map((id) => registry.markSynced(id, NEXT, AT)));
    fake.open();
    expect((await answers).map((r) => r?.modelId)).toEqual([5, undefined, 6]);
    expect(fake.writes.map((batch) => batch.map((w) => w.modelId))).toEqual([[5], [409, 6]]);
    expect(fake.writes[1]?.every((w) => w.attempt === AT && w.next === NEXT)).toBe(true);
  });

  it('passes unguarded writes and failures straight through', async () => {
    const fake = fakeRegistry();
    const registry = groupCommitRegistry(fake.registry);
    await registry.markSynced(7, NEXT);
    await registry.markFailed(7, { lastSyncFailure: 'x', retryCount: 1, retryAt: null }, AT);
    expect(fake.registry.markSynced).toHaveBeenCalledWith(7, NEXT);
    expect(fake.registry.markFailed).toHaveBeenCalledWith(7, { lastSyncFailure: 'x', retryCount: 1, retryAt: null }, AT);
    expect(fake.writes).toEqual([]);
  });

  it('rejects every caller of a failed statement', async () => {
    const fake = fakeRegistry();
    fake.registry.findByModelIds = async () => {
      throw new Error('database down');
    };
    const registry = groupCommitRegistry(fake.registry, { maxInputs: 10, maxInFlight: 1 });
    await expect(Promise.all([registry.findByModelId(1), registry.findByModelId(2)])).rejects.toThrow('database down');
  });
});

describe('groupCommitRecords', () => {
  it('merges concurrent single-record lookups per type and returns only records that exist', async () => {
    const calls: Array<[string, number[]]> = [];
    const records = groupCommitRecords(
      {
        async findByModelIds(name, ids) {
          calls.push([name, [...ids]]);
          await new Promise((r) => setTimeout(r, 5));
          return ids.filter((id) => id !== 404).map((id) => ({ replicableName: name, modelRecordId: id }) as ReplicableRecord);
        },
        setPrimaryChecksum: jest.fn(),
      },
      { maxInputs: 10, maxInFlight: 1 },
    );
    const found = await Promise.all([1, 404, 2].map((id) => records.findByModelIds('packages_nuget_symbol', [id])));
    expect(found.map((list) => list.map((r) => r.modelRecordId))).toEqual([[1], [], [2]]);
    expect(calls).toEqual([
      ['packages_nuget_symbol', [1]],
      ['packages_nuget_symbol', [404, 2]],
    ]);
  });
});
