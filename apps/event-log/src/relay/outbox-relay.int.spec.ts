import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { jetstream, jetstreamManager, type JsMsg, type StreamState } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Pool } from 'pg';
import { ErrorCodes, UnavailableError } from '@geo/domain';
import { createPool, EventOutboxRepository, migrate, withTransaction, type GeoEventRecord, type NewGeoEvent } from '@geo/pg';
import { createTestDatabase, privateNatsServer, recordingLogger, type PrivateNatsServer, type TestDatabase, uniqueName, waitFor } from '@geo/testing';
import { NatsLink } from '@geo/nats';
import { parseGeoEventMessage } from './geo-event-message';
import { JetStreamEventPublisher } from './jetstream-event-publisher';
import { OutboxRelay, type RelayOutbox } from './outbox-relay';

// A nats-server of this file's own, so tests can stop, restart and wipe it.
let nats: PrivateNatsServer;
let db: TestDatabase;
let pool: Pool;
let outbox: EventOutboxRepository;
/** This test's stream: a unique name and subject prefix on the private server. */
let stream: { readonly name: string; readonly subjectPrefix: string };
const running: { stop(): Promise<void> }[] = [];

const FAST = { pollIntervalMs: 20, retryDelay: { initialMs: 20, maxMs: 200 } } as const;

beforeAll(async () => {
  nats = await privateNatsServer();
  await nats.start();
});

afterAll(async () => {
  await nats?.dispose();
});

beforeEach(async () => {
  db = await createTestDatabase('geo_event_log_relay');
  await migrate({ role: 'primary', databaseUrl: db.url });
  pool = createPool({ databaseUrl: db.url, max: 4 });
  outbox = new EventOutboxRepository(pool);
  const name = uniqueName('T_EVENTS').toUpperCase();
  stream = { name, subjectPrefix: `test.${name.toLowerCase()}` };
});

afterEach(async () => {
  // Stop relays and links before the pool; a test that stopped NATS brings it back for the next one.
  for (const r of running.splice(0).reverse()) await r.stop();
  if (!(await natsAnswers())) await nats.start();
  await pool?.end();
  await db?.drop();
});

async function natsAnswers(): Promise<boolean> {
  try {
    const nc = await connect({ servers: nats.url, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

/** A NATS link, publisher and relay as the primary wires them, with short delays; started unless told otherwise. */
async function relayStack(options: { readonly outbox?: RelayOutbox; readonly start?: boolean } = {}) {
  const logger = recordingLogger();
  const link = new NatsLink({ servers: nats.url, name: 'geo-event-log@test', logger, retryDelay: FAST.retryDelay, reconnectTimeWaitMs: 50 });
  const publisher = new JetStreamEventPublisher({ link, logger, stream, publishTimeoutMs: 1000 });
  const relay = new OutboxRelay({ outbox: options.outbox ?? outbox, publisher, logger, ...FAST });
  await link.start();
  running.push(link);
  if (options.start !== false) {
    await relay.start();
    running.push(relay);
  }
  return { logger, link, relay };
}

const created = (id: number): NewGeoEvent => ({ replicableName: 'packages_nuget_symbol', eventName: 'created', payload: { model_record_id: id } });

/** Like the nuget app's pushes: each event in a transaction of its own. */
async function push(events: readonly NewGeoEvent[]): Promise<GeoEventRecord[]> {
  const written: GeoEventRecord[] = [];
  for (const e of events) written.push(...(await withTransaction(pool, (tx) => outbox.insert(tx, [e]))));
  return written;
}

async function unrelayedCount(): Promise<number> {
  const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM geo_events WHERE relayed_at IS NULL');
  return Number(rows[0]?.n);
}

async function allRelayed(): Promise<void> {
  await waitFor(async () => (await unrelayedCount()) === 0, 'every outbox row relayed', 10_000);
}

interface StoredEvent {
  readonly seq: number;
  readonly subject: string;
  readonly msgId: string | undefined;
  readonly traceparent: string | undefined;
  readonly id: number;
  readonly body: unknown;
}

/** The stream's state and every message in it, read back in order with an ordered consumer. */
async function readStream(): Promise<{ state: StreamState; events: StoredEvent[] }> {
  const nc = await connect({ servers: nats.url, reconnect: false });
  try {
    const state = (await (await jetstreamManager(nc)).streams.info(stream.name)).state;
    const events: StoredEvent[] = [];
    if (state.messages > 0) {
      const consumer = await jetstream(nc).consumers.get(stream.name);
      const messages = await consumer.fetch({ max_messages: state.messages, expires: 2000 });
      for await (const m of messages as AsyncIterable<JsMsg>) {
        const header = (name: string) => (m.headers?.has(name) === true ? m.headers.get(name) : undefined);
        const body = parseGeoEventMessage(m.data);
        events.push({ seq: m.seq, subject: m.subject, msgId: header('Nats-Msg-Id'), traceparent: header('traceparent'), id: body.id, body });
        if (events.length === state.messages) break;
      }
    }
    return { state, events };
  } finally {
    await nc.close();
  }
}

describe('outbox relay against PostgreSQL and JetStream', () => {
  it('publishes in id order with Nats-Msg-Id = id and the wire body, then marks the rows relayed', async () => {
    const written = await push([
      created(11),
      { replicableName: 'packages_nuget_symbol', eventName: 'checksum_succeeded', payload: { model_record_id: 11 } },
      { replicableName: 'packages_nuget_symbol', eventName: 'deleted', payload: { model_record_id: 11, blob_path: 'x/y.pdb', uploader_class: 'U' } },
    ]);
    await relayStack();
    await allRelayed();

    const { state, events } = await readStream();
    expect(state.messages).toBe(3);
    expect(events.map((e) => [e.seq, e.msgId, e.subject])).toEqual([
      [1, String(written[0]!.id), `${stream.subjectPrefix}.packages_nuget_symbol.created`],
      [2, String(written[1]!.id), `${stream.subjectPrefix}.packages_nuget_symbol.checksum_succeeded`],
      [3, String(written[2]!.id), `${stream.subjectPrefix}.packages_nuget_symbol.deleted`],
    ]);
    expect(events[2]!.body).toEqual({
      id: written[2]!.id,
      replicable_name: 'packages_nuget_symbol',
      event_name: 'deleted',
      payload: { model_record_id: 11, blob_path: 'x/y.pdb', uploader_class: 'U' },
      created_at: written[2]!.createdAt.toISOString(),
    });
  });

  it('starts while NATS is down, leaves the rows unrelayed, and catches up once NATS starts', async () => {
    await nats.stop();
    const startedAt = Date.now();
    const { logger } = await relayStack();
    expect(Date.now() - startedAt).toBeLessThan(1000);
    const written = await push([created(1), created(2), created(3)]);

    await waitFor(() => logger.lines.filter((l) => l.message === 'event-log: NATS unavailable; retrying').length >= 3, 'three failed connects');
    expect(logger.lines.filter((l) => l.message.includes('unavailable')).every((l) => l.level === 'warn')).toBe(true);
    expect(await unrelayedCount()).toBe(3);

    await nats.start();
    await allRelayed();
    const { events } = await readStream();
    expect(events.map((e) => e.id)).toEqual(written.map((e) => e.id));
  });

  it('NATS stopped: 100 pushes succeed; after it returns, exactly those 100 are in the stream, in order, none twice', async () => {
    const { logger } = await relayStack();
    const [first] = await push([created(0)]);
    await allRelayed();

    await nats.stop();
    const pushes = await push(Array.from({ length: 100 }, (_, i) => created(i + 1)));
    expect(pushes).toHaveLength(100);
    await waitFor(() => logger.lines.some((l) => l.level === 'warn' && l.message.startsWith('event-log relay:')), 'a failed relay attempt');
    expect(await unrelayedCount()).toBe(100);

    await nats.start();
    await allRelayed();
    const { state, events } = await readStream();
    expect(state.messages).toBe(101);
    expect(events.map((e) => e.id)).toEqual([first!.id, ...pushes.map((e) => e.id)]);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => e.msgId)).size).toBe(101);
    expect(events.every((e) => e.msgId === String(e.id))).toBe(true);
  });

  it('creates the stream at start with nothing to relay, so a secondary can attach its consumer before the first event', async () => {
    await relayStack();
    await waitFor(
      async () => {
        try {
          return (await readStream()).state.messages === 0;
        } catch {
          return false; // stream not found yet
        }
      },
      'GEO_EVENTS created by an idle relay',
      10_000,
    );
    expect(await unrelayedCount()).toBe(0);
  });

  it('a server that comes back empty gets the stream again before the next publish', async () => {
    await relayStack();
    await push([created(1)]);
    await allRelayed();

    await nats.stop();
    await nats.wipe();
    await nats.start();
    const [later] = await push([created(2)]);
    await allRelayed();
    const { state, events } = await readStream();
    expect(state.messages).toBe(1);
    expect(events.map((e) => e.msgId)).toEqual([String(later!.id)]);
  });

  it('a relay killed between ack and mark: the next run republishes, the stream dedupes, no gaps', async () => {
    const written = await push(Array.from({ length: 10 }, (_, i) => created(i + 1)));
    // Relay A's marks fail, as if the process died right after the stream acknowledged the batch.
    const killedBeforeMark: RelayOutbox = {
      listUnrelayed: (options) => outbox.listUnrelayed(options),
      markRelayed: async () => Promise.reject(new UnavailableError('relay A was killed before it marked the batch')),
    };
    const a = await relayStack({ outbox: killedBeforeMark, start: false });
    await waitFor(() => a.link.session() !== undefined, 'relay A connected');
    await expect(a.relay.relayOnce()).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE });
    expect(await unrelayedCount()).toBe(10);
    expect((await readStream()).state.messages).toBe(10);

    const b = await relayStack({ start: false });
    await waitFor(() => b.link.session() !== undefined, 'relay B connected');
    const pass = await b.relay.relayOnce();
    expect(pass).toMatchObject({ read: 10, duplicates: 10, failure: undefined });
    expect(pass.relayedIds).toEqual(written.map((e) => e.id));
    expect(await unrelayedCount()).toBe(0);

    const { state, events } = await readStream();
    expect(state.messages).toBe(10);
    expect(state.last_seq).toBe(10);
    expect(events.map((e) => e.id)).toEqual(written.map((e) => e.id));
  });

  describe('trace context', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

    beforeAll(() => provider.register());
    afterAll(async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    });

    it('stores the writer trace on the row and publishes as its child', async () => {
      const ingest = provider.getTracer('test').startSpan('PUT /api/v4/projects/:id/packages/nuget/symbolpackage');
      const [traced] = await context.with(trace.setSpan(context.active(), ingest), () => push([created(1)]));
      ingest.end();
      const [untraced] = await push([created(2)]);
      const { traceId, spanId } = ingest.spanContext();
      expect(traced!.traceContext).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
      expect(untraced!.traceContext).toBeNull();

      await relayStack();
      await allRelayed();

      const publishSpan = (id: number) => {
        const spans = exporter.getFinishedSpans().filter((s) => s.attributes['messaging.message.id'] === String(id));
        expect(spans).toHaveLength(1);
        return spans[0]!;
      };
      const child = publishSpan(traced!.id);
      expect(child.spanContext().traceId).toBe(traceId);
      expect(child.parentSpanContext?.spanId).toBe(spanId);
      const root = publishSpan(untraced!.id);
      expect(root.parentSpanContext).toBeUndefined();
      expect(root.spanContext().traceId).not.toBe(traceId);

      // The consumer continues from the publish span, so the trace reaches the secondary.
      const { events } = await readStream();
      expect(events.find((e) => e.id === traced!.id)?.traceparent).toBe(`00-${traceId}-${child.spanContext().spanId}-01`);
    });
  });
});
