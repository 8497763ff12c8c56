import { ValidationError } from '@geo/domain';
import { gitlabTextLimitCheckName, railsForeignKeyName, railsIndexName, sqlIdentifier } from './naming';

describe('schema naming', () => {
  it.each([
    // Names as they appear in GitLab's ee/db/geo/structure.sql.
    ['packages_nuget_symbol_registry', 'last_sync_failure', 'check_353acf9c46'],
    ['packages_nuget_symbol_registry', 'verification_failure', 'check_4b08fc53d8'],
  ])('GitLab text-limit check name of %s.%s is %s', (table, column, expected) => {
    expect(gitlabTextLimitCheckName(table, column)).toBe(expected);
  });

  it.each([
    ['packages_nuget_symbol_states', ['packages_nuget_symbol_id'], 'index_packages_nuget_symbol_states_on_packages_nuget_symbol_id'],
    ['packages_nuget_symbol_registry', ['retry_at'], 'index_packages_nuget_symbol_registry_on_retry_at'],
    ['t', ['a', 'b'], 'index_t_on_a_and_b'],
    // 64 characters: truncated to PostgreSQL's 63, as the server itself would.
    ['packages_nuget_symbol_registry', ['packages_nuget_symbol_id'], 'index_packages_nuget_symbol_registry_on_packages_nuget_symbol_i'],
  ])('Rails index name of %s %j is %s', (table, columns, expected) => {
    expect(railsIndexName(table, columns)).toBe(expected);
    expect(railsIndexName(table, columns).length).toBeLessThanOrEqual(63);
  });

  it('Rails foreign key names are fk_rails_ plus 10 hex digits, stable per table and column', () => {
    const name = railsForeignKeyName('packages_nuget_symbol_states', 'packages_nuget_symbol_id');
    expect(name).toMatch(/^fk_rails_[0-9a-f]{10}$/);
    expect(railsForeignKeyName('packages_nuget_symbol_states', 'packages_nuget_symbol_id')).toBe(name);
    expect(railsForeignKeyName('other_states', 'packages_nuget_symbol_id')).not.toBe(name);
  });

  it.each(['ok_name', '_x1'])('accepts identifier %s', (name) => {
    expect(sqlIdentifier(name)).toBe(name);
  });

  it.each(['Upper', 'a-b', 'a;drop table x', '1abc', '', 'x'.repeat(64)])('rejects identifier %j', (name) => {
    expect(() => sqlIdentifier(name)).toThrow(ValidationError);
  });
});
