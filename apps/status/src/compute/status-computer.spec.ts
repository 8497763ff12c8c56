import { DEFAULT_HEALTH_THRESHOLDS, UnavailableError, type Liveness, type ReplicableDefinition, type SecondaryCounts } from '@geo/domain';
import { packagesNugetSymbol, REPLICABLES } from '@geo/replicables';
import { recordingLogger } from '@geo/testing';
import type { EventStreamView, PrimarySources, SecondarySources } from './ports';
import { StatusComputer, type StatusComputerOptions } from './status-computer';

const NAME = packagesNugetSymbol.name;
const T0 = new Date('2026-11-25T12:00:00.000Z');

/** A clock the test moves. */
function manualClock(start = T0) {
  let now = start.getTime();
  return { now: () => new Date(now), advance: (seconds: number) => (now += seconds * 1000) };
}

const COUNTS: SecondaryCounts = { registryCount: 10, syncedCount: 4, failedCount: 2, verifiedCount: 3, verificationFailedCount: 1, verificationTotalCount: 4 };

/** Sources of a healthy secondary; `now` dates the last successful push (the push just worked). */
function secondarySources(overrides: Partial<Omit<SecondarySources, 'role'>> = {}, now: () => Date = () => T0): SecondarySources & { counts: { registryCounts: jest.Mock } } {
  const push = (): Liveness => ({ lastSeenAt: now(), watchingSince: T0 });
  const view: EventStreamView = { streamExists: true, lastEvent: { eventId: 9, createdAt: T0 }, unapplied: { count: 0, oldestCreatedAt: null } };
  return {
    role: 'secondary',
    database: { ping: async () => undefined },
    nats: { probe: async () => ({ reachable: true }) },
    identity: { identity: async () => ({ geoNodeId: 2, name: 'us', selectiveSyncType: 'namespaces', namespaceIds: [7] }) },
    counts: { registryCounts: jest.fn(async (_def: ReplicableDefinition) => COUNTS) },
    backlog: { hasWork: async () => true },
    cursor: { cursor: async () => ({ eventId: 8, createdAt: T0 }) },
    eventStream: { read: async () => view },
    heartbeat: { secondsSinceLastRead: async () => 1 },
    push: { liveness: push, failedTotal: () => 0 },
    ...overrides,
  } as SecondarySources & { counts: { registryCounts: jest.Mock } };
}

function computer(sources: StatusComputerOptions['sources'], clock = manualClock(), extra: Partial<StatusComputerOptions> = {}) {
  const logger = recordingLogger();
  return {
    logger,
    clock,
    computer: new StatusComputer({
      sources,
      replicables: REPLICABLES,
      replicationEnabled: () => true,
      siteName: 'us-configured',
      version: '0.1.0',
      revision: 'abc',
      thresholds: DEFAULT_HEALTH_THRESHOLDS,
      logger,
      clock: clock.now,
      ...extra,
    }),
  };
}

describe('StatusComputer on a secondary', () => {
  it('assembles every field from its sources', async () => {
    const { computer: c } = computer(secondarySources());
    const status = await c.compute();
    expect(status).toEqual({
      geoNodeId: 2,
      name: 'us',
      lastEvent: { eventId: 9, createdAt: T0 },
      cursorLastEvent: { eventId: 8, createdAt: T0 },
      eventLagSeconds: 0,
      version: '0.1.0',
      revision: 'abc',
      selectiveSyncType: 'namespaces',
      namespaceIds: [7],
      updatedAt: T0,
      lastSuccessfulStatusCheckAt: T0,
      health: { healthy: true, health: 'Healthy', healthStatus: 'Healthy', issues: [] },
      replicables: {
        [NAME]: {
          count: 10,
          checksumTotalCount: null,
          checksummedCount: null,
          checksumFailedCount: null,
          registryCount: 10,
          syncedCount: 4,
          failedCount: 2,
          verifiedCount: 3,
          verificationFailedCount: 1,
          verificationTotalCount: 4,
          syncedInPercentage: 40,
          verifiedInPercentage: 30,
        },
      },
      statusFailedTotal: 0,
    });
  });

  it('reports null counters for a type whose replication is off, without counting it', async () => {
    const sources = secondarySources();
    const { computer: c } = computer(sources, manualClock(), { replicationEnabled: () => false });
    const status = await c.compute();
    expect(status.replicables[NAME]).toMatchObject({ count: null, registryCount: null, syncedInPercentage: 0 });
    expect(sources.counts.registryCounts).not.toHaveBeenCalled();
  });

  it('computes the event lag from the oldest unapplied event and flags it above the limit', async () => {
    const clock = manualClock();
    const { computer: c } = computer(
      secondarySources({ eventStream: { read: async () => ({ streamExists: true, lastEvent: { eventId: 20, createdAt: T0 }, unapplied: { count: 3, oldestCreatedAt: new Date(T0.getTime() - 400_000) } }) } }),
      clock,
    );
    const status = await c.compute();
    expect(status.eventLagSeconds).toBe(400);
    expect(status.health.issues.map((i) => i.code)).toEqual(['event_lag_high']);
  });

  it('one failing read leaves its fields null, logs it, and keeps the rest', async () => {
    const { computer: c, logger } = computer(
      secondarySources({
        counts: { registryCounts: async () => Promise.reject(new Error('counter broken')) },
        eventStream: { read: async () => Promise.reject(new UnavailableError("not connected to the primary's NATS")) },
      }),
    );
    const status = await c.compute();
    expect(status.replicables[NAME]).toMatchObject({ count: null, registryCount: null });
    expect(status.lastEvent).toBeNull();
    expect(status.eventLagSeconds).toBeNull();
    expect(status.cursorLastEvent).toEqual({ eventId: 8, createdAt: T0 });
    expect(status.lastSuccessfulStatusCheckAt).toBeNull();
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.fields['read'])).toEqual(expect.arrayContaining([`count ${NAME}`, "read the primary's event stream"]));
  });

  it('keeps the last successful check time and the last identity through a failing round', async () => {
    const clock = manualClock();
    let fail = false;
    const { computer: c } = computer(
      secondarySources({
        counts: { registryCounts: async () => (fail ? Promise.reject(new Error('down')) : COUNTS) },
        identity: { identity: async () => (fail ? Promise.reject(new Error('primary down')) : { geoNodeId: 2, name: 'us', selectiveSyncType: '', namespaceIds: [] }) },
      }),
      clock,
    );
    await c.compute();
    fail = true;
    clock.advance(60);
    const status = await c.compute();
    expect(status.lastSuccessfulStatusCheckAt).toEqual(T0);
    expect(status.updatedAt).toEqual(new Date(T0.getTime() + 60_000));
    expect(status.geoNodeId).toBe(2);
    expect(status.name).toBe('us');
  });

  it('uses the configured name while the site is not known on the primary', async () => {
    const { computer: c } = computer(secondarySources({ identity: { identity: async () => undefined } }));
    const status = await c.compute();
    expect(status.geoNodeId).toBeNull();
    expect(status.name).toBe('us-configured');
    expect(status.selectiveSyncType).toBe('');
  });

  it('database and NATS down: both named', async () => {
    const { computer: c } = computer(
      secondarySources({
        database: { ping: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432')) },
        nats: { probe: async () => ({ reachable: false, reason: 'not connected to nats://127.0.0.1:4222' }) },
      }),
    );
    const { health } = await c.compute();
    expect(health.issues.map((i) => i.code)).toEqual(['database_unreachable', 'nats_unreachable']);
    expect(health.health).toBe('Database unreachable: connect ECONNREFUSED 127.0.0.1:5432; NATS unreachable: not connected to nats://127.0.0.1:4222');
  });

  it('event consumer silent: judged from the heartbeat age, with one limit of grace after start when it never beat', async () => {
    const clock = manualClock();
    let secondsAgo: number | undefined;
    const { computer: c } = computer(secondarySources({ heartbeat: { secondsSinceLastRead: async () => secondsAgo } }, clock.now), clock);
    expect((await c.compute()).health.healthy).toBe(true); // never beat, just started
    clock.advance(121);
    expect((await c.compute()).health.issues.map((i) => i.code)).toEqual(['event_consumer_silent']);
    secondsAgo = 3;
    expect((await c.compute()).health.healthy).toBe(true);
    secondsAgo = 200;
    const { health } = await c.compute();
    expect(health.issues[0]?.message).toMatch(/^Event consumer has not read the primary's event stream for 3 minutes/);
  });

  it('before the primary relayed anything (no stream) the consumer is not expected to read; once the stream exists it gets one limit', async () => {
    const clock = manualClock();
    let view: EventStreamView = { streamExists: false, lastEvent: null, unapplied: { count: 0, oldestCreatedAt: null } };
    const { computer: c } = computer(secondarySources({ eventStream: { read: async () => view }, heartbeat: { secondsSinceLastRead: async () => undefined } }, clock.now), clock);
    clock.advance(600);
    let status = await c.compute();
    expect(status.health.healthy).toBe(true);
    expect(status.eventLagSeconds).toBe(0);
    view = { ...view, streamExists: true };
    expect((await c.compute()).health.healthy).toBe(true); // the stream just appeared
    clock.advance(121);
    status = await c.compute();
    expect(status.health.issues.map((i) => i.code)).toEqual(['event_consumer_silent']);
  });

  it('sync stalled: work without a growing synced count for longer than the limit; a sync clears it', async () => {
    const clock = manualClock();
    let synced = 4;
    const { computer: c } = computer(secondarySources({ counts: { registryCounts: async () => ({ ...COUNTS, syncedCount: synced }) }, heartbeat: { secondsSinceLastRead: async () => 1 } }, clock.now), clock);
    await c.compute();
    clock.advance(200);
    expect((await c.compute()).health.healthy).toBe(true);
    clock.advance(101);
    expect((await c.compute()).health.issues.map((i) => i.code)).toEqual(['sync_stalled']);
    synced = 5;
    clock.advance(60);
    expect((await c.compute()).health.healthy).toBe(true);
  });

  it('primary unreachable comes from the push record, with the push failure count', async () => {
    const clock = manualClock();
    const { computer: c } = computer(
      secondarySources({ push: { liveness: () => ({ lastSeenAt: null, watchingSince: T0, lastError: 'UNAVAILABLE: No connection established' }), failedTotal: () => 3 } }),
      clock,
    );
    clock.advance(130);
    const status = await c.compute();
    expect(status.statusFailedTotal).toBe(3);
    expect(status.health.issues.map((i) => i.code)).toEqual(['primary_unreachable']);
    expect(status.health.health).toMatch(/UNAVAILABLE: No connection established$/);
  });
});

describe('StatusComputer on a primary', () => {
  const sources = (overrides: Partial<Omit<PrimarySources, 'role'>> = {}): PrimarySources => ({
    role: 'primary',
    database: { ping: async () => undefined },
    nats: { probe: async () => ({ reachable: true }) },
    identity: { identity: async () => ({ geoNodeId: 1, name: 'eu', selectiveSyncType: '', namespaceIds: [] }) },
    counts: { primaryCounts: async () => ({ count: 12, checksumTotalCount: 11, checksummedCount: 6, checksumFailedCount: 2 }) },
    events: { lastEvent: async () => ({ eventId: 77, createdAt: T0 }) },
    ...overrides,
  });

  it('reports the primary counters, the newest event, and no secondary fields', async () => {
    const { computer: c } = computer(sources());
    const status = await c.compute();
    expect(status).toMatchObject({
      geoNodeId: 1,
      name: 'eu',
      lastEvent: { eventId: 77, createdAt: T0 },
      cursorLastEvent: null,
      eventLagSeconds: null,
      statusFailedTotal: null,
      health: { healthy: true },
    });
    expect(status.replicables[NAME]).toEqual({
      count: 12,
      checksumTotalCount: 11,
      checksummedCount: 6,
      checksumFailedCount: 2,
      registryCount: null,
      syncedCount: null,
      failedCount: null,
      verifiedCount: null,
      verificationFailedCount: null,
      verificationTotalCount: null,
      syncedInPercentage: 0,
      verifiedInPercentage: 0,
    });
  });

  it('an empty outbox has no last event; NATS down is named', async () => {
    const { computer: c } = computer(sources({ events: { lastEvent: async () => undefined }, nats: { probe: async () => ({ reachable: false, reason: 'not connected to nats://x:4222' }) } }));
    const status = await c.compute();
    expect(status.lastEvent).toBeNull();
    expect(status.health.issues.map((i) => i.code)).toEqual(['nats_unreachable']);
  });
});
