import { packagesNugetSymbol } from '@geo/replicables';
import { VerificationStates } from '@geo/domain';
import { sqlIdentifier } from '../../schema/naming';
import type { RoleMigration } from '../role';

const table = packagesNugetSymbol.registryTable;

/**
 * Secondary: the checksum app's verification timeout sweep looks for registry rows left
 * `verification_started` for 8 h every minute; the seed's partial indexes cover only pending and
 * failed rows, so without this one it would read the whole registry (millions of rows at scale)
 * each time. The index holds only the rows in flight: at most a few thousand.
 */
export const migration: RoleMigration = {
  primary: () => undefined,
  secondary: (pgm) => {
    pgm.sql(
      `CREATE INDEX IF NOT EXISTS ${sqlIdentifier(`index_${table}_verification_started`)} ON ${table} USING btree (verification_started_at) WHERE (verification_state = ${VerificationStates.verification_started})`,
    );
  },
};
