import { context, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { UnavailableError, ValidationError } from '@geo/domain';
import { testServiceUrls, uniqueName } from '@geo/testing';
import { consume, type ConsumeOptions, type InboundMessage, type MessageHandler, type MessageOutcome } from './consume';
import { ensureConsumer, ensureStream } from './ensure';
import type { LoggerPort } from '@geo/domain';
import { geoEventsStream, pullConsumer } from './presets';
import { publish } from './publish';

let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
const streams: string[] = [];
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

interface Fixture {
  readonly stream: string;
  readonly subject: string;
  readonly durable: string;
}

/** A fresh stream with one durable pull consumer whose unacked messages come back after `ackWaitMs` (2 s). */
async function fixture(label: string, ackWaitMs = 2000): Promise<Fixture> {
  const stream = uniqueName(`T_${label}`).toUpperCase();
  streams.push(stream);
  const prefix = `test.${stream.toLowerCase()}`;
  await ensureStream(jsm, geoEventsStream({ name: stream, subjectPrefix: prefix }));
  await ensureConsumer(jsm, stream, pullConsumer({ durable: 'worker', ackWaitMs }));
  return { stream, subject: `${prefix}.nuget_symbol.created`, durable: 'worker' };
}

interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

function recordingLogger(): LoggerPort & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
}

/**
 * Runs the consume loop until `expected` outcomes have happened (or 10 s pass), then stops it
 * and returns what happened, in order.
 */
async function runUntil(
  f: Fixture,
  handler: MessageHandler,
  expected: number,
  extra: Partial<ConsumeOptions> = {},
): Promise<{ outcomes: [MessageOutcome, InboundMessage][]; logger: ReturnType<typeof recordingLogger> }> {
  const outcomes: [MessageOutcome, InboundMessage][] = [];
  const logger = recordingLogger();
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 10_000);
  const loop = consume(js, f.stream, f.durable, handler, {
    signal: stop.signal,
    logger,
    batch: 5,
    expiresMs: 1000,
    retryDelayMs: () => 200,
    onOutcome: (outcome, message) => {
      outcomes.push([outcome, message]);
      if (outcomes.length >= expected) stop.abort();
    },
    ...extra,
  });
  await loop;
  clearTimeout(timer);
  return { outcomes, logger };
}

/** Pulls once with a short expiry: what the consumer would still deliver. */
async function drain(f: Fixture): Promise<number[]> {
  const consumer = await js.consumers.get(f.stream, f.durable);
  const seqs: number[] = [];
  for await (const m of await consumer.fetch({ max_messages: 10, expires: 1000 })) {
    seqs.push(m.seq);
    m.nak();
  }
  return seqs;
}

beforeAll(async () => {
  provider.register({ propagator: new W3CTraceContextPropagator() });
  nc = await connect({ servers: testServiceUrls().natsUrl });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  for (const name of streams) await jsm.streams.delete(name).catch(() => false);
  await nc.close();
  await provider.shutdown();
  trace.disable();
  context.disable();
});

describe('publish', () => {
  it('stores a message once per Nats-Msg-Id', async () => {
    const f = await fixture('dedupe');
    const first = await publish(js, f.subject, '{"id":1}', { msgId: 'event-1' });
    const second = await publish(js, f.subject, '{"id":1}', { msgId: 'event-1' });
    expect(first).toEqual({ stream: f.stream, seq: 1, duplicate: false });
    expect(second).toEqual({ stream: f.stream, seq: 1, duplicate: true });
    expect((await jsm.streams.info(f.stream)).state.messages).toBe(1);
    const third = await publish(js, f.subject, '{"id":2}', { msgId: 'event-2' });
    expect(third).toEqual({ stream: f.stream, seq: 2, duplicate: false });
  });

  it('fails with a retryable UnavailableError when no stream captures the subject', async () => {
    await expect(publish(js, `nowhere.${uniqueName('x')}`, 'x', { timeoutMs: 1000 })).rejects.toMatchObject({
      name: 'UnavailableError',
      retryable: true,
    });
  });
});

describe('consume', () => {
  it('acks on success: the message is not delivered again', async () => {
    const f = await fixture('ack');
    await publish(js, f.subject, 'hello', { msgId: 'a-1', headers: { 'Geo-Replicable': 'nuget_symbol' } });
    const seen: string[] = [];
    const { outcomes } = await runUntil(
      f,
      async (m) => {
        seen.push(`${m.string()}|${m.msgId}|${m.header('Geo-Replicable')}|${m.deliveryCount}`);
      },
      1,
    );
    expect(outcomes.map(([o]) => o)).toEqual(['ack']);
    expect(seen).toEqual(['hello|a-1|nuget_symbol|1']);
    expect(await drain(f)).toEqual([]);
    const info = await jsm.consumers.info(f.stream, f.durable);
    expect(info.num_pending + info.num_ack_pending).toBe(0);
  });

  it('naks on a retryable GeoError: redelivered with deliveryCount 2, then acked', async () => {
    const f = await fixture('nak');
    await publish(js, f.subject, 'flaky', { msgId: 'n-1' });
    const { outcomes, logger } = await runUntil(
      f,
      async (m) => {
        if (m.deliveryCount === 1) throw new UnavailableError('database briefly down');
      },
      2,
    );
    expect(outcomes.map(([o, m]) => [o, m.seq, m.deliveryCount])).toEqual([
      ['nak', 1, 1],
      ['ack', 1, 2],
    ]);
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.fields.delayMs)).toEqual([200]);
    expect(await drain(f)).toEqual([]);
  });

  it('terms on a non-retryable error, logs it, and never redelivers', async () => {
    const f = await fixture('term');
    await publish(js, f.subject, 'bad payload', { msgId: 't-1' });
    await publish(js, f.subject, 'plain error', { msgId: 't-2' });
    await publish(js, f.subject, 'fine', { msgId: 't-3' });
    const { outcomes, logger } = await runUntil(
      f,
      async (m) => {
        if (m.msgId === 't-1') throw new ValidationError('payload is not an event');
        if (m.msgId === 't-2') throw new TypeError('a bug');
      },
      3,
    );
    expect(outcomes.map(([o, m]) => [o, m.msgId])).toEqual([
      ['term', 't-1'],
      ['term', 't-2'],
      ['ack', 't-3'],
    ]);
    const errors = logger.lines.filter((l) => l.level === 'error');
    expect(errors.map((l) => [l.fields.msgId, (l.fields.err as { message: string }).message])).toEqual([
      ['t-1', 'payload is not an event'],
      ['t-2', 'a bug'],
    ]);
    // Termed messages are settled on the server: nothing pending, nothing awaiting an ack, nothing redelivered.
    let info = await jsm.consumers.info(f.stream, f.durable);
    for (let i = 0; i < 20 && info.num_ack_pending > 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      info = await jsm.consumers.info(f.stream, f.durable);
    }
    expect([info.num_pending, info.num_ack_pending, info.num_redelivered]).toEqual([0, 0, 0]);
    expect(await drain(f)).toEqual([]);
  });

  it('stops gracefully: the running handler finishes and acks, fetched-but-unhandled messages go back', async () => {
    // A long ack_wait, so only a nak (not an ack_wait expiry) can bring the unhandled messages back quickly.
    const f = await fixture('stop', 30_000);
    for (const id of ['s-1', 's-2', 's-3']) await publish(js, f.subject, id, { msgId: id });
    const stop = new AbortController();
    const outcomes: [MessageOutcome, string | undefined][] = [];
    let finished = false;
    const loop = consume(
      js,
      f.stream,
      f.durable,
      async () => {
        stop.abort();
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished = true;
      },
      { signal: stop.signal, logger: recordingLogger(), batch: 3, expiresMs: 5000, onOutcome: (o, m) => outcomes.push([o, m.msgId]) },
    );
    await loop;
    expect(finished).toBe(true);
    expect(outcomes).toEqual([['ack', 's-1']]);
    const consumer = await js.consumers.get(f.stream, f.durable);
    const back: [string, number][] = [];
    for await (const m of await consumer.fetch({ max_messages: 3, expires: 1500 })) {
      back.push([m.string(), m.info.deliveryCount]);
      m.ack();
    }
    expect(back).toEqual([
      ['s-2', 2],
      ['s-3', 2],
    ]);
  });
});

describe('trace context', () => {
  it('survives publish → consume: the handler runs in the publisher’s trace', async () => {
    exporter.reset();
    const f = await fixture('trace');
    const tracer = trace.getTracer('test');
    const publisherTraceId = await tracer.startActiveSpan('client-op', async (span) => {
      await publish(js, f.subject, 'traced', { msgId: 'tr-1' });
      span.end();
      return span.spanContext().traceId;
    });
    let handlerTraceId: string | undefined;
    let traceparent: string | undefined;
    await runUntil(
      f,
      async (m) => {
        handlerTraceId = trace.getSpanContext(context.active())?.traceId;
        traceparent = m.header('traceparent');
      },
      1,
    );
    expect(handlerTraceId).toBe(publisherTraceId);
    expect(traceparent).toMatch(new RegExp(`^00-${publisherTraceId}-[0-9a-f]{16}-01$`));

    const spans = exporter.getFinishedSpans();
    const producer = spans.find((s) => s.name === `publish ${f.subject}`);
    const consumerSpan = spans.find((s) => s.name === `process ${f.subject}`);
    const root = spans.find((s) => s.name === 'client-op');
    expect(producer?.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);
    expect(consumerSpan?.parentSpanContext?.spanId).toBe(producer?.spanContext().spanId);
    expect(consumerSpan?.spanContext().traceId).toBe(publisherTraceId);
  });
});
