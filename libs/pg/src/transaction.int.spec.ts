import { createTestDatabase, type TestDatabase } from '@geo/testing';
import { Pool } from 'pg';
import { createPool } from './pool';
import { mapPgError } from './errors';
import { withTransaction } from './transaction';

describe('withTransaction', () => {
  let db: TestDatabase;
  let pool: Pool;

  beforeAll(async () => {
    db = await createTestDatabase('geo_pg_tx');
    pool = createPool({ databaseUrl: db.url, max: 1 });
    await pool.query('CREATE TABLE t (id int PRIMARY KEY)');
  });

  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });

  const ids = async () => (await pool.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows.map((r) => r.id);

  it('commits on success and returns the result', async () => {
    await expect(withTransaction(pool, async (tx) => (await tx.query<{ id: number }>('INSERT INTO t VALUES (1) RETURNING id')).rows[0])).resolves.toEqual({ id: 1 });
    expect(await ids()).toEqual([1]);
  });

  it('rolls back and rethrows the original error, releasing the client (pool of one keeps working)', async () => {
    const boom = new Error('boom');
    await expect(
      withTransaction(pool, async (tx) => {
        await tx.query('INSERT INTO t VALUES (2)');
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await ids()).toEqual([1]);
    // Released: the pool's one connection is idle again, and nobody waits for it.
    expect(pool.totalCount).toBe(1);
    expect(pool.idleCount).toBe(pool.totalCount);
    expect(pool.waitingCount).toBe(0);
  });

  it('rethrows the server error unchanged; mapPgError turns a real unique violation into ALREADY_EXISTS', async () => {
    const error: unknown = await withTransaction(pool, (tx) => tx.query('INSERT INTO t VALUES (1)')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: '23505', constraint: 't_pkey' });
    expect(mapPgError(error, 'insert t')).toMatchObject({ code: 'GEO_S0002', retryable: false, details: { sqlState: '23505', constraint: 't_pkey' } });
  });

  it('maps connection refused to a retryable UNAVAILABLE', async () => {
    const dead = new Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/x', connectionTimeoutMillis: 2000 });
    try {
      await expect(withTransaction(dead, async () => 1)).rejects.toMatchObject({ name: 'UnavailableError', code: 'GEO_I0001', retryable: true });
    } finally {
      await dead.end();
    }
  });
});
