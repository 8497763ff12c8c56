import { packagesNugetSymbol } from '@geo/replicables';
import { replicableMigration } from '../replicable-migration';

/** `packages_nuget_symbol_states` (primary) and `packages_nuget_symbol_registry` (tracking DB). */
export const migration = replicableMigration(packagesNugetSymbol);
