import type { Pool } from 'pg';
import { ErrorCodes } from '@geo/domain';
import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { migrate } from '../migrations/runner';
import { createPool } from '../pool';
import { PgEventLogHeartbeatRepository } from './event-log-heartbeat-repository';

let db: TestDatabase;
let pool: Pool;

beforeAll(async () => {
  db = await createTestDatabase('geo_pg_heartbeat');
  await migrate({ role: 'secondary', databaseUrl: db.url });
  pool = createPool({ databaseUrl: db.url, max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

beforeEach(async () => {
  await pool.query('DELETE FROM geo_event_log_heartbeats');
});

describe('PgEventLogHeartbeatRepository', () => {
  it('has no heartbeat before the first one', async () => {
    expect(await new PgEventLogHeartbeatRepository(pool).latest()).toBeUndefined();
  });

  it('records with the database clock and reports its age measured by the database', async () => {
    const repo = new PgEventLogHeartbeatRepository(pool);
    await repo.record('geo-eu');
    const fresh = await repo.latest();
    expect(fresh?.consumerName).toBe('geo-eu');
    expect(fresh?.secondsAgo).toBeGreaterThanOrEqual(0);
    expect(fresh?.secondsAgo).toBeLessThan(2);
    // A beat 90 s ago (as written by a consumer that then stopped).
    await pool.query(`UPDATE geo_event_log_heartbeats SET last_read_at = now() - interval '90 seconds'`);
    const old = await repo.latest();
    expect(old?.secondsAgo).toBeGreaterThanOrEqual(90);
    expect(old?.secondsAgo).toBeLessThan(92);
  });

  it('keeps one row per consumer, never moves it back, and reports the newest of all consumers', async () => {
    const repo = new PgEventLogHeartbeatRepository(pool);
    await repo.record('geo-eu');
    await pool.query(`UPDATE geo_event_log_heartbeats SET last_read_at = now() + interval '1 hour'`);
    await repo.record('geo-eu');
    const { rows } = await pool.query<{ n: number; ahead: boolean }>(`SELECT count(*)::int AS n, bool_and(last_read_at > now() + interval '59 minutes') AS ahead FROM geo_event_log_heartbeats`);
    expect(rows[0]).toEqual({ n: 1, ahead: true });
    await pool.query(`UPDATE geo_event_log_heartbeats SET last_read_at = now() - interval '1 hour'`);
    await repo.record('geo-us');
    expect((await repo.latest())?.consumerName).toBe('geo-us');
  });

  it('refuses an empty consumer name', async () => {
    await expect(new PgEventLogHeartbeatRepository(pool).record('')).rejects.toMatchObject({ code: ErrorCodes.INVALID_ARGUMENT });
  });
});
