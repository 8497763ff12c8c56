import { recordingLogger, waitFor } from '@geo/testing';
import { ConsumerHeartbeat } from './consumer-heartbeat';

function setup(options: { failWrites?: boolean } = {}) {
  const state = { reading: false, failWrites: options.failWrites ?? false };
  const beats: string[] = [];
  const logger = recordingLogger();
  const heartbeat = new ConsumerHeartbeat({
    consumer: { consumerName: 'geo-eu', isReading: () => state.reading },
    store: {
      record: async (name) => {
        if (state.failWrites) throw new Error('database down');
        beats.push(name);
      },
    },
    intervalMs: 5,
    logger,
  });
  return { state, beats, logger, heartbeat };
}

describe('ConsumerHeartbeat', () => {
  it('beats only while the consumer reads, under the durable name', async () => {
    const { state, beats, heartbeat } = setup();
    await heartbeat.start();
    await new Promise((r) => setTimeout(r, 30));
    expect(beats).toEqual([]);
    state.reading = true;
    await waitFor(() => beats.length >= 2, 'two beats');
    state.reading = false;
    await new Promise((r) => setTimeout(r, 15));
    const count = beats.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(beats.length).toBe(count);
    expect(new Set(beats)).toEqual(new Set(['geo-eu']));
    await heartbeat.stop();
  });

  it('logs a failing store once per outage, keeps trying, and says when it records again', async () => {
    const { state, beats, logger, heartbeat } = setup({ failWrites: true });
    state.reading = true;
    await heartbeat.start();
    await new Promise((r) => setTimeout(r, 40));
    expect(logger.lines.filter((l) => l.message.includes('cannot record the heartbeat'))).toHaveLength(1);
    state.failWrites = false;
    await waitFor(() => beats.length >= 1, 'a beat after the outage');
    await heartbeat.stop();
    expect(logger.lines.some((l) => l.message === 'event-log heartbeat: recording again')).toBe(true);
  });

  it('stops promptly', async () => {
    const { heartbeat } = setup();
    await heartbeat.start();
    const t = Date.now();
    await heartbeat.stop();
    expect(Date.now() - t).toBeLessThan(100);
  });
});
