import { Pool } from 'pg';

export interface PgPoolOptions {
  /** `postgres://user@host:port/db`. */
  readonly databaseUrl: string;
  /** Maximum open connections (pg default 10). */
  readonly max?: number;
  /** Shown in `pg_stat_activity.application_name`, e.g. `geo-registry`. */
  readonly applicationName?: string;
  /** How long to wait for a connection before failing (ms); 0 waits for ever. */
  readonly connectionTimeoutMillis?: number;
  /** Called when an idle pooled connection dies (server restart). Defaults to ignoring it. */
  readonly onIdleError?: (error: Error) => void;
}

/**
 * A pg Pool with the project's defaults. Idle-client errors are handled here because an
 * unhandled `error` event on the pool crashes the process; the pool replaces the dead client.
 */
export function createPool(options: PgPoolOptions): Pool {
  const pool = new Pool({
    connectionString: options.databaseUrl,
    max: options.max ?? 10,
    application_name: options.applicationName ?? 'geo',
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 10_000,
  });
  pool.on('error', (error) => options.onIdleError?.(error));
  return pool;
}
