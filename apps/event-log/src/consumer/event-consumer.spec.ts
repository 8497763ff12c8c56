import { ErrorCodes, type GeoError } from '@geo/domain';
import { EventConsumer, eventConsumerName } from './event-consumer';
import { FakeEventStore } from './test-fakes';
import { recordingLogger } from '@geo/testing';

const base = () => ({
  siteName: 'eu-secondary',
  link: { session: () => undefined },
  applier: { apply: () => Promise.reject(new Error('unused')) },
  store: new FakeEventStore(),
  logger: recordingLogger(),
});

describe('EventConsumer configuration', () => {
  it('names the durable consumer geo-<site>', () => {
    expect(eventConsumerName('eu-secondary')).toBe('geo-eu-secondary');
    expect(new EventConsumer(base()).consumerName).toBe('geo-eu-secondary');
  });

  it.each([['eu.secondary'], ['eu secondary'], ['*'], ['>'], ['']])('refuses site name %p, which cannot name a consumer', (siteName) => {
    expect(() => eventConsumerName(siteName)).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID }) as GeoError);
  });

  it.each([[0], [51], [2.5]])('refuses batch size %p (GitLab reads at most 50 events at a time)', (batchSize) => {
    expect(() => new EventConsumer({ ...base(), batchSize })).toThrow(expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }) as GeoError);
  });

  it('reports no cursor and no connection before it ran', () => {
    expect(new EventConsumer(base()).status()).toEqual({ lastEventId: null, lastEventAt: null, lastAppliedAt: null, connected: false });
  });

  it('starts without NATS and stops at once', async () => {
    const consumer = new EventConsumer({ ...base(), retryDelay: { initialMs: 10, maxMs: 10 } });
    await consumer.start();
    await consumer.stop();
    expect(consumer.status().connected).toBe(false);
  });
});
