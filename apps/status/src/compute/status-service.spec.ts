import { siteHealth, type NodeStatus } from '@geo/domain';
import { SiteStatusService } from './status-service';

const T0 = new Date('2026-11-25T12:00:00.000Z');

function status(at: Date): NodeStatus {
  return {
    geoNodeId: 1,
    name: 'eu',
    lastEvent: null,
    cursorLastEvent: null,
    eventLagSeconds: null,
    version: 'v',
    revision: 'r',
    selectiveSyncType: '',
    namespaceIds: [],
    updatedAt: at,
    lastSuccessfulStatusCheckAt: at,
    health: siteHealth([]),
    replicables: {},
    statusFailedTotal: null,
  };
}

function setup() {
  let now = T0.getTime();
  let computations = 0;
  let release: (() => void) | undefined;
  let hold = false;
  const computer = {
    compute: async () => {
      computations += 1;
      if (hold) await new Promise<void>((r) => (release = r));
      return status(new Date(now));
    },
  };
  const service = new SiteStatusService({ computer, clock: () => new Date(now) });
  return {
    service,
    computations: () => computations,
    advance: (ms: number) => (now += ms),
    hold: () => (hold = true),
    release: () => {
      hold = false;
      release?.();
    },
  };
}

describe('SiteStatusService', () => {
  it('computes on first use, reuses a status younger than 10 s, computes again after', async () => {
    const s = setup();
    expect(s.service.latest()).toBeUndefined();
    const first = await s.service.current();
    s.advance(9_999);
    expect(await s.service.current()).toBe(first);
    expect(s.computations()).toBe(1);
    s.advance(1);
    const second = await s.service.current();
    expect(second).not.toBe(first);
    expect(s.computations()).toBe(2);
    expect(s.service.latest()).toBe(second);
  });

  it('refresh always computes; concurrent callers share the computation in flight', async () => {
    const s = setup();
    s.hold();
    const a = s.service.refresh();
    const b = s.service.current();
    const c = s.service.refresh();
    s.release();
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(ra).toBe(rb);
    expect(rb).toBe(rc);
    expect(s.computations()).toBe(1);
    await s.service.refresh();
    expect(s.computations()).toBe(2);
  });

  it('a failed computation is not cached and the next call tries again', async () => {
    let fail = true;
    const service = new SiteStatusService({
      computer: { compute: async () => (fail ? Promise.reject(new Error('boom')) : status(T0)) },
      clock: () => T0,
    });
    await expect(service.refresh()).rejects.toThrow('boom');
    fail = false;
    await expect(service.current()).resolves.toMatchObject({ name: 'eu' });
  });
});
