import { ErrorCodes, primaryReplicableStatus, secondaryReplicableStatus, siteHealth, type NodeStatus } from '@geo/domain';
import { GeoNodeStatus } from '@geo/proto';
import { fromProtoNodeStatus, toProtoNodeStatus } from './node-status-codec';

const T0 = new Date('2026-11-25T12:00:00.000Z');

const secondary: NodeStatus = {
  geoNodeId: 2,
  name: 'us',
  lastEvent: { eventId: 42, createdAt: T0 },
  cursorLastEvent: { eventId: 40, createdAt: new Date('2026-11-25T11:59:59.000Z') },
  eventLagSeconds: 3,
  version: '0.1.0',
  revision: 'abc',
  selectiveSyncType: 'namespaces',
  namespaceIds: [4, 9],
  updatedAt: T0,
  lastSuccessfulStatusCheckAt: T0,
  health: siteHealth([{ code: 'event_lag_high', message: 'Event lag is 6 minutes: …' }]),
  replicables: {
    packages_nuget_symbol: secondaryReplicableStatus({ registryCount: 3, syncedCount: 1, failedCount: 1, verifiedCount: 1, verificationFailedCount: 0, verificationTotalCount: 1 }),
  },
  statusFailedTotal: 5,
};

/** Through the wire and back, as ReportStatus carries it. */
function roundTrip(status: NodeStatus): NodeStatus {
  return fromProtoNodeStatus(GeoNodeStatus.decode(GeoNodeStatus.encode(toProtoNodeStatus(status)).finish()));
}

describe('GeoNodeStatus codec', () => {
  it('round-trips a secondary status through the wire unchanged', () => {
    expect(roundTrip(secondary)).toEqual(secondary);
  });

  it('round-trips a primary status: nulls stay null (absent optionals), geo_node_id 0 is unknown', () => {
    const primary: NodeStatus = {
      ...secondary,
      geoNodeId: null,
      cursorLastEvent: null,
      eventLagSeconds: null,
      lastSuccessfulStatusCheckAt: null,
      health: siteHealth([]),
      replicables: { packages_nuget_symbol: primaryReplicableStatus({ count: 5, checksumTotalCount: 5, checksummedCount: 5, checksumFailedCount: 0 }) },
      statusFailedTotal: null,
    };
    const proto = toProtoNodeStatus(primary);
    expect(proto).toMatchObject({ geoNodeId: 0, healthy: true, health: 'Healthy', healthStatus: 'Healthy', statusMessage: '', healthIssues: [] });
    expect(proto.replicables['packages_nuget_symbol']?.registryCount).toBeUndefined();
    expect(roundTrip(primary)).toEqual(primary);
  });

  it('writes GitLab\'s health fields and the issues', () => {
    expect(toProtoNodeStatus(secondary)).toMatchObject({
      healthy: false,
      health: 'Event lag is 6 minutes: …',
      healthStatus: 'Unhealthy',
      statusMessage: 'Event lag is 6 minutes: …',
      healthIssues: [{ code: 'event_lag_high', message: 'Event lag is 6 minutes: …' }],
      eventLagSeconds: 3,
    });
  });

  it('rebuilds health and percentages from the issues and counters, whatever the reporter claimed', () => {
    const proto = toProtoNodeStatus(secondary);
    const forged = fromProtoNodeStatus({
      ...proto,
      healthy: true,
      health: 'Healthy',
      replicables: { packages_nuget_symbol: { ...proto.replicables['packages_nuget_symbol']!, syncedInPercentage: 100, verifiedInPercentage: 100 } },
    });
    expect(forged.health.healthy).toBe(false);
    expect(forged.replicables['packages_nuget_symbol']?.syncedInPercentage).toBeCloseTo(33.333, 3);
  });

  it('drops issues whose code this version does not know', () => {
    const status = fromProtoNodeStatus({ ...toProtoNodeStatus(secondary), healthIssues: [{ code: 'from_the_future', message: 'x' }] });
    expect(status.health.issues).toEqual([]);
  });

  it.each<[string, Partial<GeoNodeStatus>, RegExp]>([
    ['no updated_at', { updatedAt: undefined }, /updated_at is required/],
    ['a negative counter', { replicables: { packages_nuget_symbol: { syncedCount: -1, syncedInPercentage: 0, verifiedInPercentage: 0 } } }, /syncedCount must be a non-negative integer/],
    ['an event id without its time', { lastEventTimestamp: undefined }, /last event id 42 comes without a valid timestamp/],
    ['a negative lag', { eventLagSeconds: -4 }, /event_lag_seconds must be a non-negative integer/],
  ])('refuses a report with %s', (_label, change, message) => {
    expect(() => fromProtoNodeStatus({ ...toProtoNodeStatus(secondary), ...change })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT, message: expect.stringMatching(message) as string }) as Error);
  });
});
