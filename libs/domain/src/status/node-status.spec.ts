import { primaryReplicableStatus, secondaryReplicableStatus, siteIdentityOf, withPercentages } from './node-status';

const NULLS = {
  count: null,
  checksumTotalCount: null,
  checksummedCount: null,
  checksumFailedCount: null,
  registryCount: null,
  syncedCount: null,
  failedCount: null,
  verifiedCount: null,
  verificationFailedCount: null,
  verificationTotalCount: null,
  syncedInPercentage: 0,
  verifiedInPercentage: 0,
};

describe('primaryReplicableStatus (§8.1 primary side)', () => {
  it('fills the primary counters and leaves the secondary ones null', () => {
    expect(primaryReplicableStatus({ count: 12, checksumTotalCount: 11, checksummedCount: 6, checksumFailedCount: 2 })).toEqual({
      ...NULLS,
      count: 12,
      checksumTotalCount: 11,
      checksummedCount: 6,
      checksumFailedCount: 2,
    });
  });

  it('is all null when the type is not counted (replication off)', () => {
    expect(primaryReplicableStatus(null)).toEqual(NULLS);
  });
});

describe('secondaryReplicableStatus (§8.1 secondary side)', () => {
  it.each([
    [
      'count is overwritten with registry_count; percentages over registry_count',
      { registryCount: 40, syncedCount: 30, failedCount: 5, verifiedCount: 10, verificationFailedCount: 2, verificationTotalCount: 25 },
      { count: 40, syncedInPercentage: 75, verifiedInPercentage: 25 },
    ],
    [
      'empty registry: percentages 0',
      { registryCount: 0, syncedCount: 0, failedCount: 0, verifiedCount: 0, verificationFailedCount: 0, verificationTotalCount: 0 },
      { count: 0, syncedInPercentage: 0, verifiedInPercentage: 0 },
    ],
  ])('%s', (_label, counts, expected) => {
    expect(secondaryReplicableStatus(counts)).toEqual({ ...NULLS, ...counts, ...expected });
  });

  it('is all null when the type is not counted', () => {
    expect(secondaryReplicableStatus(null)).toEqual(NULLS);
  });
});

describe('withPercentages', () => {
  it('recomputes both percentages from stored counters', () => {
    const { syncedInPercentage: _s, verifiedInPercentage: _v, ...counters } = secondaryReplicableStatus({
      registryCount: 3,
      syncedCount: 1,
      failedCount: 0,
      verifiedCount: 2,
      verificationFailedCount: 0,
      verificationTotalCount: 2,
    });
    const status = withPercentages(counters);
    expect(status.syncedInPercentage).toBeCloseTo(33.333, 3);
    expect(status.verifiedInPercentage).toBeCloseTo(66.667, 3);
  });

  it('is 0 for a primary row (no registry count)', () => {
    const { syncedInPercentage: _s, verifiedInPercentage: _v, ...counters } = primaryReplicableStatus({ count: 5, checksumTotalCount: 5, checksummedCount: 5, checksumFailedCount: 0 });
    expect(withPercentages(counters)).toMatchObject({ syncedInPercentage: 0, verifiedInPercentage: 0 });
  });
});

describe('siteIdentityOf', () => {
  it.each([
    ['everything', { type: 'all' } as const, { selectiveSyncType: '', namespaceIds: [] }],
    ['selected namespaces', { type: 'namespaces', namespaceIds: [4, 2] } as const, { selectiveSyncType: 'namespaces', namespaceIds: [4, 2] }],
  ])('%s', (_label, selectiveSync, expected) => {
    expect(siteIdentityOf({ id: 7, name: 'eu', scope: { selectiveSync, syncObjectStorage: false } })).toEqual({ geoNodeId: 7, name: 'eu', ...expected });
  });
});
