import type { Pool } from 'pg';
import type { LoggerPort } from '@geo/domain';
import { errorFields } from '@geo/domain';
import type { DatabaseRole } from './migrations/role';
import { assertMigrated } from './migrations/runner';
import { createPool } from './pool';

export interface MigratedDatabaseOptions {
  readonly databaseUrl: string;
  readonly role: DatabaseRole;
  readonly logger: LoggerPort;
  /** `pg_stat_activity.application_name`. */
  readonly applicationName: string;
  readonly maxConnections: number;
}

/**
 * A site's database as a lifecycle component (the shape of service-kit's `Component`): start refuses
 * to run against a schema this code does not match (`assertMigrated`); stop closes the pool, and
 * because apps list it before the components using it, those stop first.
 */
export class MigratedDatabase {
  readonly name = 'postgres';
  readonly pool: Pool;

  constructor(private readonly options: MigratedDatabaseOptions) {
    this.pool = createPool({
      databaseUrl: options.databaseUrl,
      applicationName: options.applicationName,
      max: options.maxConnections,
      // The pool replaces the dead client; the next query that needs one reports any real outage.
      onIdleError: (error) => options.logger.warn(errorFields(error), 'postgres: idle connection lost'),
    });
  }

  async start(): Promise<void> {
    await assertMigrated(this.pool, this.options.role);
  }

  async stop(): Promise<void> {
    await this.pool.end();
  }
}
