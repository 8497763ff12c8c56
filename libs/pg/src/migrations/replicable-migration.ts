import type { ReplicableDefinition } from '@geo/domain';
import { replicableDdl } from '../schema/replicable-ddl';
import type { MigrationBuilder } from 'node-pg-migrate';
import type { RoleMigration } from './role';

/**
 * The whole migration of a replicable type: its `*_states` table on the primary and its
 * `*_registry` table on secondaries, both generated from the definition. Adding a type is one
 * file in `migrations/replicables/` calling this.
 */
export function replicableMigration(def: ReplicableDefinition): RoleMigration {
  const ddl = replicableDdl(def);
  const run = (statements: readonly string[]) => (pgm: MigrationBuilder) => {
    for (const statement of statements) pgm.sql(statement);
  };
  return { primary: run(ddl.states.statements), secondary: run(ddl.registry.statements) };
}
