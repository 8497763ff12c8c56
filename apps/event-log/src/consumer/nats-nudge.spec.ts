import { GEO_SYNC_NUDGE_SUBJECT } from '@geo/nats';
import { natsNudge } from './nats-nudge';
import { recordingLogger } from '@geo/testing';

describe('natsNudge', () => {
  it('publishes one empty message on the nudge subject of the site connection', () => {
    const published: unknown[][] = [];
    const nudge = natsNudge({ connection: () => ({ publish: (...args: unknown[]) => published.push(args) }), logger: recordingLogger() });
    nudge();
    expect(published).toEqual([[GEO_SYNC_NUDGE_SUBJECT]]);
  });

  it('drops the nudge with a log line while the site NATS is down, and when publishing throws', () => {
    const logger = recordingLogger();
    natsNudge({ connection: () => undefined, logger })();
    natsNudge({
      connection: () => ({
        publish: () => {
          throw new Error('connection draining');
        },
      }),
      logger,
      subject: 'test.nudge',
    })();
    expect(logger.lines.map((l) => [l.level, l.fields['subject']])).toEqual([
      ['info', GEO_SYNC_NUDGE_SUBJECT],
      ['warn', 'test.nudge'],
    ]);
  });
});
