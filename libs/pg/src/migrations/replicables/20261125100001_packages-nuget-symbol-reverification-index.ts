import { packagesNugetSymbol } from '@geo/replicables';
import { VerificationStates } from '@geo/domain';
import { sqlIdentifier } from '../../schema/naming';
import type { RoleMigration } from '../role';

const table = packagesNugetSymbol.stateTable;

/**
 * Primary: the reverification sweep picks succeeded rows with the oldest `verified_at` every minute;
 * without this partial index it reads every succeeded row (millions at scale) each time.
 */
export const migration: RoleMigration = {
  primary: (pgm) => {
    pgm.sql(
      `CREATE INDEX IF NOT EXISTS ${sqlIdentifier(`index_${table}_succeeded_verified_at`)} ON ${table} USING btree (verified_at) WHERE (verification_state = ${VerificationStates.verification_succeeded})`,
    );
  },
  secondary: () => undefined,
};
