import { packagesNugetSymbol } from '@geo/replicables';
import { replicableRowCountsDdl } from '../../schema/row-counts-ddl';
import type { RoleMigration } from '../role';

const ddl = replicableRowCountsDdl(packagesNugetSymbol);

/**
 * Status counters (ADR 0006) for NuGet symbols in databases created before the generator emitted
 * them: `packages_nuget_symbols_row_counts` and `packages_nuget_symbol_states_row_counts` on the
 * primary, `packages_nuget_symbol_registry_row_counts` on secondaries, each initialised from the rows
 * the table already holds (writes to it wait while it is counted). In a database created since,
 * 20261125100000 already installed them; the install is idempotent and this only recounts.
 */
export const migration: RoleMigration = {
  primary: (pgm) => {
    for (const statement of ddl.primary) pgm.sql(statement);
  },
  secondary: (pgm) => {
    for (const statement of ddl.secondary) pgm.sql(statement);
  },
};
