import { testServiceUrls } from '@geo/testing';
import { connectNats } from './connect';
import type { LoggerPort } from '@geo/domain';

describe('connectNats', () => {
  it('connects with a name, logs the lifecycle, and closes cleanly', async () => {
    const lines: string[] = [];
    const logger: LoggerPort = {
      info: (_f, m) => lines.push(`info ${m}`),
      warn: (_f, m) => lines.push(`warn ${m}`),
      error: (_f, m) => lines.push(`error ${m}`),
    };
    const nc = await connectNats({ servers: testServiceUrls().natsUrl, name: 'geo-test@site-a', logger });
    try {
      const rtt = await nc.rtt();
      expect(rtt).toBeGreaterThanOrEqual(0);
      expect(nc.info?.jetstream).toBe(true);
    } finally {
      // The connection reconnects for ever: a failed assertion must still close it, or jest hangs.
      await nc.close();
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual(['info nats: connecting', 'info nats: connected', 'info nats: connection closed']);
  });
});
