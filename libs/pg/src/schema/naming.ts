import { createHash } from 'node:crypto';
import { ValidationError } from '@geo/domain';

/** PostgreSQL silently truncates identifiers to NAMEDATALEN - 1 bytes. */
export const MAX_IDENTIFIER_LENGTH = 63;

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/**
 * Returns `name` unchanged after checking it is a plain lower-case identifier, so generated DDL can
 * interpolate it unquoted (reading like GitLab's structure.sql) without any injection risk.
 */
export function sqlIdentifier(name: string): string {
  if (!IDENTIFIER.test(name) || name.length > MAX_IDENTIFIER_LENGTH) {
    throw new ValidationError(`not a safe SQL identifier: ${JSON.stringify(name)}`, { details: { name } });
  }
  return name;
}

function sha256Prefix(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/**
 * Rails' default index name (`index_<table>_on_<col>_and_<col>`). A name longer than PostgreSQL's
 * limit is truncated here exactly as PostgreSQL would do it, so the name in code always equals the
 * name in the catalogue (the seed's registry index name is 64 characters long).
 */
export function railsIndexName(table: string, columns: readonly string[]): string {
  return `index_${table}_on_${columns.join('_and_')}`.slice(0, MAX_IDENTIFIER_LENGTH);
}

/**
 * GitLab's name for a text-limit CHECK constraint (`check_constraint_name(table, column, :max_length)`
 * in Gitlab::Database::MigrationHelpers): `check_` + the first 10 hex digits of SHA-256 of
 * `<table>_<column>_check_max_length`. Matches the names in GitLab's structure.sql.
 */
export function gitlabTextLimitCheckName(table: string, column: string): string {
  return `check_${sha256Prefix(`${table}_${column}_check_max_length`)}`;
}

/** Rails' foreign key name: `fk_rails_` + the first 10 hex digits of SHA-256 of `<table>_<column>_fk`. */
export function railsForeignKeyName(table: string, column: string): string {
  return `fk_rails_${sha256Prefix(`${table}_${column}_fk`)}`;
}
