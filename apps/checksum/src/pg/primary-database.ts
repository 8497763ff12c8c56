import type { Pool } from 'pg';
import type { LoggerPort } from '@geo/domain';
import { assertMigrated, createPool } from '@geo/pg';
import type { Component } from '@geo/service-kit';
import { errorFields } from '../support/error-fields';

/** Default pool size: batch jobs hold a connection only per statement, so a few serve many jobs. */
export const DEFAULT_CHECKSUM_POOL_SIZE = 10;

export interface PrimaryDatabaseOptions {
  readonly databaseUrl: string;
  readonly logger: LoggerPort;
  readonly maxConnections?: number;
}

/**
 * The primary's database as a lifecycle component: start refuses a schema this code does not match
 * (`assertMigrated`); stop closes the pool after the workers using it stopped (they come later in
 * the component list, so they stop first).
 */
export class PrimaryDatabase implements Component {
  readonly name = 'postgres';
  readonly pool: Pool;

  constructor(options: PrimaryDatabaseOptions) {
    this.pool = createPool({
      databaseUrl: options.databaseUrl,
      applicationName: 'geo-checksum',
      max: options.maxConnections ?? DEFAULT_CHECKSUM_POOL_SIZE,
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
