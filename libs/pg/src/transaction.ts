import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { mapPgError } from './errors';

/**
 * Anything that runs a parameterised query: a Pool (autocommit) or the PoolClient of an open
 * transaction. Repositories accept one so callers decide the transaction boundary.
 */
export interface SqlExecutor {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * Runs `fn` inside BEGIN/COMMIT on one pooled connection; ROLLBACK if it throws (the original error
 * is rethrown). The client is always released; a client whose ROLLBACK failed is destroyed rather
 * than returned to the pool in an unknown state.
 */
export async function withTransaction<T>(pool: Pool, fn: (tx: PoolClient) => Promise<T>): Promise<T> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw mapPgError(error, 'connect');
  }
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}
