import { ErrorCodes, UnavailableError, ValidationError } from '@geo/domain';
import type { GeoEventRecord } from '@geo/pg';
import { OutboxRelay, type GeoEventPublisher, type OutboxRelayOptions, type RelayOutbox } from './outbox-relay';
import { recordingLogger, waitFor } from '@geo/testing';

function event(id: number): GeoEventRecord {
  return {
    id,
    replicableName: 'packages_nuget_symbol',
    eventName: 'created',
    payload: { model_record_id: id },
    createdAt: new Date(1_700_000_000_000 + id),
    relayedAt: null,
    traceContext: null,
  };
}

/** The outbox in memory; `markFailures` makes the next N marks fail like a lost database. */
class MemoryOutbox implements RelayOutbox {
  readonly relayed = new Set<number>();
  markFailures = 0;
  constructor(readonly events: GeoEventRecord[]) {}
  async listUnrelayed(options: { readonly limit: number }): Promise<GeoEventRecord[]> {
    return this.events.filter((e) => !this.relayed.has(e.id)).slice(0, options.limit);
  }
  async markRelayed(ids: readonly number[]): Promise<number> {
    if (this.markFailures > 0) {
      this.markFailures -= 1;
      throw new UnavailableError('database connection lost');
    }
    const fresh = ids.filter((id) => !this.relayed.has(id));
    for (const id of fresh) this.relayed.add(id);
    return fresh.length;
  }
}

/** A stream that dedupes by id; `failures.get(id)` lists errors the next attempts for that id throw. */
class MemoryStream implements GeoEventPublisher {
  readonly attempts: number[] = [];
  readonly stored: number[] = [];
  readonly failures = new Map<number, Error[]>();
  async publish(e: GeoEventRecord): Promise<{ duplicate: boolean }> {
    this.attempts.push(e.id);
    const error = this.failures.get(e.id)?.shift();
    if (error !== undefined) throw error;
    const duplicate = this.stored.includes(e.id);
    if (!duplicate) this.stored.push(e.id);
    return { duplicate };
  }
}

const ids = (...values: number[]) => values;

describe('OutboxRelay.relayOnce', () => {
  function relay(outbox: RelayOutbox, stream: GeoEventPublisher, extra: Partial<OutboxRelayOptions> = {}) {
    return new OutboxRelay({ outbox, publisher: stream, logger: recordingLogger(), ...extra });
  }

  it('publishes a batch in id order and marks all of it after the acks', async () => {
    const outbox = new MemoryOutbox([event(1), event(2), event(3), event(4)]);
    const stream = new MemoryStream();
    const pass = await relay(outbox, stream, { batchSize: 3 }).relayOnce();
    expect(pass).toEqual({ read: 3, relayedIds: ids(1, 2, 3), duplicates: 0, failure: undefined });
    expect(stream.stored).toEqual(ids(1, 2, 3));
    expect([...outbox.relayed]).toEqual(ids(1, 2, 3));
  });

  it('stops at the first failure: marks only the acknowledged prefix and never tries later events', async () => {
    const outbox = new MemoryOutbox([event(1), event(2), event(3), event(4)]);
    const stream = new MemoryStream();
    const down = new UnavailableError('publish timed out');
    stream.failures.set(3, [down]);
    const pass = await relay(outbox, stream).relayOnce();
    expect(pass).toEqual({ read: 4, relayedIds: ids(1, 2), duplicates: 0, failure: { eventId: 3, error: down } });
    expect(stream.attempts).toEqual(ids(1, 2, 3));
    expect([...outbox.relayed]).toEqual(ids(1, 2));
  });

  it('rejects when marking fails, leaving the published events unmarked for a deduplicated republish', async () => {
    const outbox = new MemoryOutbox([event(1), event(2)]);
    const stream = new MemoryStream();
    outbox.markFailures = 1;
    const r = relay(outbox, stream);
    await expect(r.relayOnce()).rejects.toMatchObject({ code: ErrorCodes.UNAVAILABLE });
    expect(outbox.relayed.size).toBe(0);
    expect(await r.relayOnce()).toEqual({ read: 2, relayedIds: ids(1, 2), duplicates: 2, failure: undefined });
    expect(stream.stored).toEqual(ids(1, 2));
  });

  it('publishes nothing from an empty outbox', async () => {
    const stream = new MemoryStream();
    expect(await relay(new MemoryOutbox([]), stream).relayOnce()).toEqual({ read: 0, relayedIds: [], duplicates: 0, failure: undefined });
    expect(stream.attempts).toEqual([]);
  });

  it('stops publishing when the signal aborts, marking what was acknowledged', async () => {
    const outbox = new MemoryOutbox([event(1), event(2), event(3)]);
    const controller = new AbortController();
    const stream: GeoEventPublisher = {
      publish: async (e) => {
        if (e.id === 2) controller.abort();
        return { duplicate: false };
      },
    };
    const pass = await relay(outbox, stream).relayOnce(controller.signal);
    expect(pass.relayedIds).toEqual(ids(1, 2));
    expect([...outbox.relayed]).toEqual(ids(1, 2));
  });
});

describe('OutboxRelay loop', () => {
  let relay: OutboxRelay | undefined;
  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
  });

  it('retries from the first unacknowledged event with growing delays, in order, and logs the recovery', async () => {
    const outbox = new MemoryOutbox([event(1), event(2), event(3)]);
    const stream = new MemoryStream();
    stream.failures.set(2, [new UnavailableError('nats down'), new UnavailableError('nats down')]);
    const logger = recordingLogger();
    relay = new OutboxRelay({ outbox, publisher: stream, logger, pollIntervalMs: 5, retryDelay: { initialMs: 10, maxMs: 15 } });
    await relay.start();
    await waitFor(() => outbox.relayed.size === 3, 'all relayed');
    expect(stream.attempts).toEqual(ids(1, 2, 2, 2, 3));
    expect(stream.stored).toEqual(ids(1, 2, 3));
    const retries = logger.lines.filter((l) => l.level === 'warn');
    expect(retries.map((l) => [l.fields['eventId'], l.fields['delayMs'], l.fields['consecutiveFailures']])).toEqual([
      [2, 10, 1],
      [2, 15, 2],
    ]);
    expect(retries[0]!.fields['relayedBeforeFailure']).toBe(1);
    expect(logger.lines.filter((l) => l.level === 'info').map((l) => l.message)).toContain('event-log relay: recovered');
  });

  it('logs a failure that retrying cannot fix at error level, and keeps the event blocking the tail', async () => {
    const outbox = new MemoryOutbox([event(1), event(2)]);
    const stream = new MemoryStream();
    stream.failures.set(1, [new ValidationError('invalid subject token'), new ValidationError('invalid subject token')]);
    const logger = recordingLogger();
    relay = new OutboxRelay({ outbox, publisher: stream, logger, pollIntervalMs: 5, retryDelay: { initialMs: 5, maxMs: 5 } });
    await relay.start();
    await waitFor(() => logger.lines.filter((l) => l.level === 'error').length === 2, 'two error lines');
    await waitFor(() => outbox.relayed.size === 2, 'all relayed once the row is fixed');
    expect(stream.attempts.slice(0, 3)).toEqual(ids(1, 1, 1));
    expect(logger.lines.some((l) => l.level === 'warn')).toBe(false);
  });

  it('retries a failed mark: the republished events are duplicates and the stream holds each once', async () => {
    const outbox = new MemoryOutbox([event(1), event(2)]);
    outbox.markFailures = 1;
    const stream = new MemoryStream();
    relay = new OutboxRelay({ outbox, publisher: stream, logger: recordingLogger(), pollIntervalMs: 5, retryDelay: { initialMs: 5, maxMs: 5 } });
    await relay.start();
    await waitFor(() => outbox.relayed.size === 2, 'all relayed');
    expect(stream.attempts).toEqual(ids(1, 2, 1, 2));
    expect(stream.stored).toEqual(ids(1, 2));
  });

  it('drains full batches back to back, without waiting for the poll interval', async () => {
    const outbox = new MemoryOutbox([1, 2, 3, 4, 5].map(event));
    const stream = new MemoryStream();
    // Three passes (2 + 2 + 1): pausing after a full batch would take a minute.
    relay = new OutboxRelay({ outbox, publisher: stream, logger: recordingLogger(), batchSize: 2, pollIntervalMs: 60_000 });
    await relay.start();
    await waitFor(() => outbox.relayed.size === 5, 'all five relayed');
    expect(stream.stored).toEqual(ids(1, 2, 3, 4, 5));
  });

  it('polls for events written after the tail was drained', async () => {
    const outbox = new MemoryOutbox([event(1)]);
    const stream = new MemoryStream();
    relay = new OutboxRelay({ outbox, publisher: stream, logger: recordingLogger(), pollIntervalMs: 5 });
    await relay.start();
    await waitFor(() => outbox.relayed.size === 1, 'the first event');
    outbox.events.push(event(2));
    await waitFor(() => outbox.relayed.size === 2, 'the event written later');
    expect(stream.stored).toEqual(ids(1, 2));
  });

  it('starts without waiting for the stream, stops promptly while backing off, and refuses a second start', async () => {
    const outbox = new MemoryOutbox([event(1)]);
    const never: GeoEventPublisher = { publish: async () => Promise.reject(new UnavailableError('NATS is not connected')) };
    const logger = recordingLogger();
    relay = new OutboxRelay({ outbox, publisher: never, logger, retryDelay: { initialMs: 60_000, maxMs: 60_000 } });
    await relay.start();
    await expect(relay.start()).rejects.toMatchObject({ code: ErrorCodes.INTERNAL });
    await waitFor(() => logger.lines.some((l) => l.level === 'warn'), 'a failed attempt');
    const stopping = Date.now();
    await relay.stop();
    expect(Date.now() - stopping).toBeLessThan(1000);
    expect(logger.lines.at(-1)?.message).toBe('event-log relay: stopped');
    expect(outbox.relayed.size).toBe(0);
  });

  it.each([
    [{ batchSize: 0 }],
    [{ batchSize: 1.5 }],
    [{ pollIntervalMs: -1 }],
    [{ retryDelay: { initialMs: 10, maxMs: 5 } }],
  ])('rejects options %j', (bad) => {
    expect(() => new OutboxRelay({ outbox: new MemoryOutbox([]), publisher: new MemoryStream(), logger: recordingLogger(), ...bad })).toThrow(
      expect.objectContaining({ code: ErrorCodes.INVALID_ARGUMENT }) as Error,
    );
  });
});
