import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { ErrorCodes } from '@geo/domain';
import { testServiceUrls, uniqueName } from '@geo/testing';
import { ensureConsumer, ensureStream } from './ensure';
import { geoEventsStream, geoSyncJobsStream, geoVerifyJobsStream, MIN_DUPLICATE_WINDOW_MS, pullConsumer } from './presets';

let nc: NatsConnection;
let jsm: JetStreamManager;
const streams: string[] = [];

function names(label: string): { name: string; subjectPrefix: string } {
  const name = uniqueName(`T_${label}`).toUpperCase();
  streams.push(name);
  return { name, subjectPrefix: `test.${name.toLowerCase()}` };
}

beforeAll(async () => {
  nc = await connect({ servers: testServiceUrls().natsUrl });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  for (const name of streams) await jsm.streams.delete(name).catch(() => false);
  await nc.close();
});

describe('ensureStream', () => {
  it('creates, then leaves alone, then updates when a setting differs', async () => {
    const spec = geoEventsStream({ ...names('events'), maxAgeMs: 3_600_000 });
    const created = await ensureStream(jsm, spec);
    expect(created.action).toBe('created');
    expect(created.info.config).toMatchObject({
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      subjects: spec.subjects,
    });
    expect(created.info.config.duplicate_window).toBeGreaterThanOrEqual(nanos(MIN_DUPLICATE_WINDOW_MS));

    expect((await ensureStream(jsm, spec)).action).toBe('unchanged');

    const longer = { ...spec, max_age: nanos(7_200_000) };
    const updated = await ensureStream(jsm, longer);
    expect(updated.action).toBe('updated');
    expect((await jsm.streams.info(spec.name)).config.max_age).toBe(nanos(7_200_000));
    expect((await ensureStream(jsm, longer)).action).toBe('unchanged');
  });

  it('refuses to flip an immutable setting in place', async () => {
    const spec = geoEventsStream(names('immutable'));
    await ensureStream(jsm, spec);
    await expect(ensureStream(jsm, { ...spec, retention: RetentionPolicy.Workqueue })).rejects.toMatchObject({
      name: 'ConfigError',
      code: ErrorCodes.CONFIG_INVALID,
    });
    expect((await jsm.streams.info(spec.name)).config.retention).toBe(RetentionPolicy.Limits);
  });

  it('job presets are work queues', async () => {
    for (const spec of [geoSyncJobsStream(names('sync')), geoVerifyJobsStream(names('verify'))]) {
      const { info } = await ensureStream(jsm, spec);
      expect(info.config.retention).toBe(RetentionPolicy.Workqueue);
      expect(info.config.storage).toBe(StorageType.File);
    }
  });

  it('rejects a dedupe window under two minutes', () => {
    expect(() => geoEventsStream({ duplicateWindowMs: 60_000 })).toThrow(expect.objectContaining({ code: ErrorCodes.CONFIG_INVALID }) as Error);
  });
});

describe('ensureConsumer', () => {
  it('creates, leaves alone, updates, and refuses immutable changes', async () => {
    const stream = geoEventsStream(names('consumer'));
    await ensureStream(jsm, stream);
    const spec = pullConsumer({ durable: 'geo-site-b', ackWaitMs: 10_000 });

    const created = await ensureConsumer(jsm, stream.name, spec);
    expect(created.action).toBe('created');
    expect(created.info.config).toMatchObject({ durable_name: 'geo-site-b', ack_policy: AckPolicy.Explicit, ack_wait: nanos(10_000) });

    expect((await ensureConsumer(jsm, stream.name, spec)).action).toBe('unchanged');

    const slower = pullConsumer({ durable: 'geo-site-b', ackWaitMs: 20_000 });
    expect((await ensureConsumer(jsm, stream.name, slower)).action).toBe('updated');
    expect((await jsm.consumers.info(stream.name, 'geo-site-b')).config.ack_wait).toBe(nanos(20_000));

    await expect(ensureConsumer(jsm, stream.name, { ...slower, ack_policy: AckPolicy.All })).rejects.toMatchObject({
      code: ErrorCodes.CONFIG_INVALID,
    });
  });

  it('applies the start position when it creates the durable; an existing durable keeps its position', async () => {
    const stream = geoEventsStream(names('start'));
    await ensureStream(jsm, stream);
    const js = jetstream(nc);
    await js.publish(`${stream.subjects[0]!.replace('>', 'x')}`, new Uint8Array([1]));
    const fresh = await ensureConsumer(jsm, stream.name, pullConsumer({ durable: 'geo-new', startAt: 'new' }));
    expect(fresh.info.config.deliver_policy).toBe(DeliverPolicy.New);
    expect(fresh.info.num_pending).toBe(0); // the message before its creation is not for it
    const all = await ensureConsumer(jsm, stream.name, pullConsumer({ durable: 'geo-all' }));
    expect(all.info.num_pending).toBe(1);
    // Asking for another start position later changes nothing and is no error.
    const again = await ensureConsumer(jsm, stream.name, pullConsumer({ durable: 'geo-all', startAt: 'new' }));
    expect(again.action).toBe('unchanged');
    expect(again.info.config.deliver_policy).toBe(DeliverPolicy.All);
    expect(again.info.num_pending).toBe(1);
  });

  it('reports a missing stream as a configuration error', async () => {
    await expect(ensureConsumer(jsm, 'NO_SUCH_STREAM_' + Date.now().toString(36), pullConsumer({ durable: 'x' }))).rejects.toMatchObject({
      code: ErrorCodes.CONFIG_INVALID,
    });
  });
});
