import type { Pool } from 'pg';
import { ErrorCodes } from '@geo/domain';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { migrate } from '../migrations/runner';
import { createPool } from '../pool';
import { withTransaction } from '../transaction';
import { PgEventCursorRepository } from './event-cursor-repository';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('geo_pg_event_cursor');
  await migrate({ role: 'secondary', databaseUrl: db.url });
  pool = createPool({ databaseUrl: db.url, max: 4 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

beforeEach(async () => {
  await pool.query('DELETE FROM geo_event_log_states');
});

const at = (iso: string) => new Date(iso);

async function advance(eventId: number, createdAt: string) {
  return withTransaction(pool, (tx) => new PgEventCursorRepository(tx).advance({ eventId, eventCreatedAt: at(createdAt) }));
}

async function rows(): Promise<{ event_id: string; event_created_at: Date | null }[]> {
  return (await pool.query<{ event_id: string; event_created_at: Date | null }>('SELECT event_id, event_created_at FROM geo_event_log_states')).rows;
}

describe('PgEventCursorRepository', () => {
  it('reads nothing before the first event', async () => {
    expect(await new PgEventCursorRepository(pool).read()).toBeUndefined();
  });

  it('inserts the one row on first use and moves it forward afterwards', async () => {
    const first = await advance(5, '2026-11-25T10:00:00.000Z');
    expect(first).toEqual(expect.objectContaining({ eventId: 5, eventCreatedAt: at('2026-11-25T10:00:00.000Z') }));
    const second = await advance(9, '2026-11-25T10:00:09.000Z');
    expect(second).toEqual(expect.objectContaining({ eventId: 9, eventCreatedAt: at('2026-11-25T10:00:09.000Z') }));
    expect(second.createdAt).toEqual(first.createdAt);
    expect(await rows()).toEqual([{ event_id: '9', event_created_at: at('2026-11-25T10:00:09.000Z') }]);
    expect(await new PgEventCursorRepository(pool).read()).toEqual(second);
  });

  it('never moves backwards: a lower or equal id leaves the row as it was', async () => {
    const stored = await advance(9, '2026-11-25T10:00:09.000Z');
    expect(await advance(7, '2026-11-25T10:00:07.000Z')).toEqual(stored);
    expect(await advance(9, '2026-11-25T11:00:00.000Z')).toEqual(stored);
    expect(await rows()).toEqual([{ event_id: '9', event_created_at: at('2026-11-25T10:00:09.000Z') }]);
  });

  it('moves with the caller transaction: a rollback leaves the old cursor', async () => {
    await advance(3, '2026-11-25T10:00:03.000Z');
    await expect(
      withTransaction(pool, async (tx) => {
        await new PgEventCursorRepository(tx).advance({ eventId: 4, eventCreatedAt: at('2026-11-25T10:00:04.000Z') });
        throw new Error('later write failed');
      }),
    ).rejects.toThrow('later write failed');
    expect((await new PgEventCursorRepository(pool).read())?.eventId).toBe(3);
  });

  it('keeps one row when two transactions insert the first cursor at once', async () => {
    await Promise.all([advance(11, '2026-11-25T10:00:11.000Z'), advance(12, '2026-11-25T10:00:12.000Z'), advance(10, '2026-11-25T10:00:10.000Z')]);
    expect(await rows()).toEqual([{ event_id: '12', event_created_at: at('2026-11-25T10:00:12.000Z') }]);
  });

  it('refuses to advance outside a transaction (the lock needs one)', async () => {
    await expect(new PgEventCursorRepository(pool).advance({ eventId: 1, eventCreatedAt: new Date() })).rejects.toMatchObject({ code: ErrorCodes.INTERNAL });
    expect(await rows()).toEqual([]);
  });

  it.each([[0], [-1], [1.5]])('rejects event id %p', async (eventId) => {
    await expect(withTransaction(pool, (tx) => new PgEventCursorRepository(tx).advance({ eventId, eventCreatedAt: new Date() }))).rejects.toMatchObject({
      code: ErrorCodes.INVALID_ARGUMENT,
    });
  });
});
