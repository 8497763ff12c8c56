import { createServer } from 'node:net';
import { ErrorCodes } from '@geo/domain';
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

  it('with waitOnFirstConnect false, fails fast and retryably when no server answers', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((resolve, reject) => {
      const probe = createServer();
      probe.once('error', reject);
      probe.listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
      });
    });
    const lines: string[] = [];
    const logger: LoggerPort = {
      info: (_f, m) => lines.push(`info ${m}`),
      warn: (_f, m) => lines.push(`warn ${m}`),
      error: (_f, m) => lines.push(`error ${m}`),
    };
    await expect(
      connectNats({ servers: `nats://127.0.0.1:${port}`, name: 'geo-test', logger, waitOnFirstConnect: false }),
    ).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE, retryable: true });
    expect(lines).toEqual(['info nats: connecting', 'warn nats: connect failed']);
  });
});
