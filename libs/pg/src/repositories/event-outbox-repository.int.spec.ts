import { context, propagation, trace } from '@opentelemetry/api';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import type { Pool } from 'pg';
import { createPool } from '../pool';
import { migrate } from '../migrations/runner';
import { withTransaction } from '../transaction';
import { EventOutboxRepository } from './event-outbox-repository';

describe('EventOutboxRepository', () => {
  let db: TestDatabase;
  let pool: Pool;
  let outbox: EventOutboxRepository;

  beforeEach(async () => {
    db = await createTestDatabase('geo_pg_outbox');
    await migrate({ role: 'primary', databaseUrl: db.url });
    pool = createPool({ databaseUrl: db.url, max: 3 });
    outbox = new EventOutboxRepository(pool);
  });

  afterEach(async () => {
    await pool?.end();
    await db?.drop();
  });

  const created = (id: number) => ({ replicableName: 'packages_nuget_symbol', eventName: 'created', payload: { model_record_id: id } });

  it('inserts in the caller transaction, in the given order, and lists unrelayed rows by id', async () => {
    const inserted = await withTransaction(pool, (tx) => outbox.insert(tx, [created(1), created(2), created(3)]));
    expect(inserted.map((e) => e.payload)).toEqual([{ model_record_id: 1 }, { model_record_id: 2 }, { model_record_id: 3 }]);
    expect(inserted[0]).toMatchObject({ replicableName: 'packages_nuget_symbol', eventName: 'created', relayedAt: null });
    const listed = await outbox.listUnrelayed({ limit: 10 });
    expect(listed.map((e) => e.id)).toEqual(inserted.map((e) => e.id));
    expect((await outbox.listUnrelayed({ limit: 1, afterId: inserted[0]!.id })).map((e) => e.id)).toEqual([inserted[1]!.id]);
  });

  it('writes nothing when the caller transaction rolls back', async () => {
    await expect(
      withTransaction(pool, async (tx) => {
        await outbox.insert(tx, [created(1)]);
        throw new Error('model write failed');
      }),
    ).rejects.toThrow('model write failed');
    expect(await outbox.listUnrelayed({ limit: 10 })).toEqual([]);
  });

  it('marks relayed once; relayed rows leave the unrelayed list', async () => {
    const [a, b] = await outbox.insert(pool, [created(1), created(2)]);
    const at = new Date('2030-01-01T00:00:00Z');
    expect(await outbox.markRelayed([a!.id], at)).toBe(1);
    expect(await outbox.markRelayed([a!.id])).toBe(0);
    expect((await outbox.listUnrelayed({ limit: 10 })).map((e) => e.id)).toEqual([b!.id]);
    const { rows } = await pool.query<{ relayed_at: Date }>('SELECT relayed_at FROM geo_events WHERE id = $1', [a!.id]);
    expect(rows[0]?.relayed_at.toISOString()).toBe(at.toISOString());
  });

  it('reports the newest event, relayed or not, and nothing for an empty outbox', async () => {
    expect(await outbox.lastEvent()).toBeUndefined();
    const [, b] = await outbox.insert(pool, [created(1), created(2)]);
    await outbox.markRelayed([b!.id]);
    expect(await outbox.lastEvent()).toEqual({ id: b!.id, createdAt: b!.createdAt });
  });

  describe('trace context', () => {
    // A real SDK provider: register() installs the W3C propagator and an async context manager,
    // exactly what an app's tracing bootstrap does.
    const provider = new NodeTracerProvider();

    beforeAll(() => provider.register());
    afterAll(async () => {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    });

    it('captures the active context when the caller passes none', async () => {
      const span = provider.getTracer('test').startSpan('push');
      const [event] = await context.with(trace.setSpan(context.active(), span), () =>
        withTransaction(pool, (tx) => outbox.insert(tx, [created(1)])),
      );
      span.end();
      const { traceId, spanId } = span.spanContext();
      expect(event!.traceContext).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
      const [listed] = await outbox.listUnrelayed({ limit: 1 });
      expect(listed!.traceContext).toEqual(event!.traceContext);
    });

    it('stores the carrier given, or none when told so, and null without an active span', async () => {
      const given = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'geo=1' };
      const span = provider.getTracer('test').startSpan('push');
      const inSpan = await context.with(trace.setSpan(context.active(), span), () =>
        outbox.insert(pool, [{ ...created(1), traceContext: given }, { ...created(2), traceContext: null }]),
      );
      span.end();
      const outside = await outbox.insert(pool, [created(3)]);
      expect([...inSpan, ...outside].map((e) => e.traceContext)).toEqual([given, null, null]);
      const { rows } = await pool.query<{ trace_context: unknown }>('SELECT trace_context FROM geo_events ORDER BY id');
      expect(rows.map((r) => r.trace_context)).toEqual([given, null, null]);
    });
  });
});
