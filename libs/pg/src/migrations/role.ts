import type { MigrationBuilder } from 'node-pg-migrate';

/**
 * Which database a migration set targets. `primary`: the site's main database (model tables,
 * `*_states`, outbox, site settings). `secondary`: a secondary's Geo tracking database
 * (`*_registry`, event-log cursor). Each role has its own migrations table and directory.
 */
export type DatabaseRole = 'primary' | 'secondary';

export const DATABASE_ROLES: readonly DatabaseRole[] = ['primary', 'secondary'];

export function isDatabaseRole(value: string): value is DatabaseRole {
  return (DATABASE_ROLES as readonly string[]).includes(value);
}

/** The forward-only body of a migration. */
export type MigrationUp = (pgm: MigrationBuilder) => void | Promise<void>;

/**
 * A migration that applies to both roles (one file per replicable type): one body per role.
 * Files in a role directory export a plain `up` instead.
 */
export interface RoleMigration {
  readonly primary: MigrationUp;
  readonly secondary: MigrationUp;
}
