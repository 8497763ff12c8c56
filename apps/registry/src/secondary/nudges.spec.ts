import { silentLogger } from '@geo/domain';
import { CoreNatsNudges, type CoreNatsConnection } from './nudges';

/** A core-NATS stand-in that delivers published messages to its subscribers synchronously. */
function fakeConnection(): CoreNatsConnection & { subscriptions: number; published: string[] } {
  const callbacks = new Map<number, (error: Error | null, message: unknown) => void>();
  let next = 0;
  return {
    subscriptions: 0,
    published: [],
    publish(subject) {
      this.published.push(subject);
      for (const cb of callbacks.values()) cb(null, {});
    },
    subscribe(_subject, options) {
      const id = (next += 1);
      this.subscriptions += 1;
      if (options?.callback !== undefined) callbacks.set(id, options.callback);
      return { unsubscribe: () => callbacks.delete(id) };
    },
  };
}

describe('CoreNatsNudges', () => {
  it('a nudge ends a wait early, and one that arrived between waits is not lost', async () => {
    const nc = fakeConnection();
    const nudges = new CoreNatsNudges({ connection: () => nc, logger: silentLogger, subject: 'test.nudge' });
    const controller = new AbortController();
    const started = Date.now();
    const waiting = nudges.wait(10_000, controller.signal);
    nudges.nudge();
    await waiting;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(nc.published).toEqual(['test.nudge']);

    nudges.nudge(); // while nobody waits
    const again = Date.now();
    await nudges.wait(10_000, controller.signal);
    expect(Date.now() - again).toBeLessThan(1000);
    expect(nc.subscriptions).toBe(1);
    nudges.close();
  });

  it('waits the full time without nudges, ends on abort, and subscribes again on a new connection', async () => {
    let nc: CoreNatsConnection | undefined;
    const nudges = new CoreNatsNudges({ connection: () => nc, logger: silentLogger });
    nudges.nudge(); // no connection: dropped silently
    const controller = new AbortController();
    const started = Date.now();
    await nudges.wait(50, controller.signal);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);

    const first = fakeConnection();
    nc = first;
    const aborted = nudges.wait(10_000, controller.signal);
    controller.abort();
    await aborted;
    expect(first.subscriptions).toBe(1);
    const second = fakeConnection();
    nc = second;
    await nudges.wait(1, new AbortController().signal);
    expect(second.subscriptions).toBe(1);
    nudges.close();
  });
});
