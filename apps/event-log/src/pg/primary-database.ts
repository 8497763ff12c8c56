import type { Pool } from 'pg';
import type { LoggerPort } from '@geo/domain';
import { assertMigrated, createPool } from '@geo/pg';
import type { Component } from '@geo/service-kit';
import { errorFields } from '../shared/error-fields';

export interface PrimaryDatabaseOptions {
  readonly databaseUrl: string;
  readonly logger: LoggerPort;
  /** `pg_stat_activity.application_name`. */
  readonly applicationName: string;
  /** Pool size; default 4 (the relay uses one connection at a time, gRPC reads the rest). */
  readonly maxConnections?: number;
}

/**
 * The primary site's database as a lifecycle component: start refuses to run against a schema this
 * code does not match (`assertMigrated`), stop closes the pool after the components using it stopped.
 */
export class PrimaryDatabase implements Component {
  readonly name = 'postgres';
  readonly pool: Pool;

  constructor(options: PrimaryDatabaseOptions) {
    this.pool = createPool({
      databaseUrl: options.databaseUrl,
      applicationName: options.applicationName,
      max: options.maxConnections ?? 4,
      // The pool replaces the dead client; the next query that needs one reports any real outage.
      onIdleError: (error) => options.logger.warn(errorFields(error), 'postgres: idle connection lost'),
    });
  }

  async start(): Promise<void> {
    await assertMigrated(this.pool, 'primary');
  }

  async stop(): Promise<void> {
    await this.pool.end();
  }
}
