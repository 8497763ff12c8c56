import type { ReplicableRecord } from '@geo/domain';
import { CataloguePrimaryChecksums, CoalescingPrimaryChecksums, type PrimaryChecksumLookup } from './primary-checksums';

function record(id: number): ReplicableRecord {
  return {
    replicableName: 'packages_nuget_symbol',
    modelRecordId: id,
    blobKey: `k/${id}`,
    size: 1,
    fileStore: 'local',
    projectId: null,
    primaryVerificationState: 'verification_succeeded',
    primaryChecksum: 'ab'.repeat(32),
    primaryVerifiedAt: null,
    attributes: {},
    createdAt: new Date(0),
  };
}

describe('CataloguePrimaryChecksums', () => {
  it('makes one GetReplicables call and keeps only the ids asked for', async () => {
    const calls: Array<[string, number[]]> = [];
    const lookup = new CataloguePrimaryChecksums(
      {
        getReplicables: async (name, ids) => {
          calls.push([name, [...ids]]);
          return [record(1), record(3), record(99)];
        },
      },
      'packages_nuget_symbol',
    );
    const found = await lookup.lookUp([1, 2, 3]);
    expect(calls).toEqual([['packages_nuget_symbol', [1, 2, 3]]]);
    expect([...found.keys()]).toEqual([1, 3]);
    expect(await lookup.lookUp([])).toEqual(new Map());
    expect(calls).toHaveLength(1);
  });
});

describe('CoalescingPrimaryChecksums', () => {
  it('merges concurrent batches into one call and gives each batch only its own ids', async () => {
    const calls: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inner: PrimaryChecksumLookup = {
      lookUp: async (ids) => {
        calls.push([...ids]);
        if (calls.length === 1) await gate;
        return new Map(ids.filter((id) => id !== 5).map((id) => [id, record(id)]));
      },
    };
    const lookup = new CoalescingPrimaryChecksums(inner, 10, { maxInputs: 10, maxInFlight: 1 });
    const lone = lookup.lookUp([1]);
    const a = lookup.lookUp([2, 3]);
    const b = lookup.lookUp([4, 5]);
    release();
    expect([...(await lone).keys()]).toEqual([1]);
    expect([...(await a).keys()]).toEqual([2, 3]);
    expect([...(await b).keys()]).toEqual([4]);
    expect(calls).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('fails every batch of a failed call', async () => {
    const lookup = new CoalescingPrimaryChecksums({ lookUp: async () => Promise.reject(new Error('down')) }, 10);
    await expect(Promise.all([lookup.lookUp([1]), lookup.lookUp([2])])).rejects.toThrow('down');
  });

  it('refuses a merge size that could exceed the primary\'s id limit per call', () => {
    expect(() => new CoalescingPrimaryChecksums({ lookUp: async () => new Map() }, 10, { maxInputs: 101, maxInFlight: 1 })).toThrow(/exceeds 1000 ids/);
  });
});
