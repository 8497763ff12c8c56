import { defineReplicable, ValidationError } from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { replicableRowCounts, replicableRowCountsDdl, rowCountsDdl, rowCountsSpec } from './row-counts-ddl';

// A second, hypothetical type: the counters must come from the definition alone.
const packageFile = defineReplicable({
  name: 'package_file',
  title: { one: 'Package File', many: 'Package Files' },
  gitlab: { modelClass: 'Packages::PackageFile', uploaderClass: 'Packages::PackageFileUploader' },
  strategy: { kind: 'blob', immutable: true },
  source: { table: 'packages_package_files', blobKeyColumn: 'file', fileStoreColumn: 'file_store', projectIdColumn: 'project_id', sizeColumn: 'size', attributeColumns: [] },
});

describe('replicableRowCounts', () => {
  it('names each counter after the table it counts and groups by the status fields’ state columns', () => {
    expect(replicableRowCounts(packagesNugetSymbol)).toEqual({
      registry: { table: 'packages_nuget_symbol_registry', countsTable: 'packages_nuget_symbol_registry_row_counts', functionName: 'packages_nuget_symbol_registry_row_counts_maintain', groupColumns: ['state', 'verification_state'] },
      states: { table: 'packages_nuget_symbol_states', countsTable: 'packages_nuget_symbol_states_row_counts', functionName: 'packages_nuget_symbol_states_row_counts_maintain', groupColumns: ['verification_state'] },
      model: { table: 'packages_nuget_symbols', countsTable: 'packages_nuget_symbols_row_counts', functionName: 'packages_nuget_symbols_row_counts_maintain', groupColumns: [] },
    });
  });

  it('derives everything for another type without mentioning NuGet', () => {
    const ddl = replicableRowCountsDdl(packageFile);
    const sql = [...ddl.secondary, ...ddl.primary].join('\n');
    expect(sql).not.toMatch(/nuget/);
    expect(ddl.secondary.join('\n')).toContain('CREATE TABLE IF NOT EXISTS package_file_registry_row_counts');
    expect(ddl.primary.join('\n')).toContain('ON packages_package_files ');
    expect(ddl.primary.join('\n')).toContain('ON package_file_states ');
  });

  it('refuses a table whose counter names would not be safe or would be truncated by PostgreSQL', () => {
    // 50 + `_row_counts` fits in 63 characters, 50 + `_row_counts_maintain` does not.
    expect(() => rowCountsSpec('a'.repeat(50), [])).toThrow(ValidationError);
    expect(() => rowCountsSpec('a'.repeat(43), [])).not.toThrow();
    expect(() => rowCountsSpec('t; DROP TABLE x', [])).toThrow(ValidationError);
    expect(() => rowCountsSpec('t', ['state"'])).toThrow(ValidationError);
  });
});

describe('rowCountsDdl', () => {
  const registry = rowCountsDdl(replicableRowCounts(packagesNugetSymbol).registry);
  const model = rowCountsDdl(replicableRowCounts(packagesNugetSymbol).model);

  it('locks the counted table against writes first and recounts it last, so no write falls between', () => {
    expect(registry[0]).toBe('LOCK TABLE packages_nuget_symbol_registry IN SHARE ROW EXCLUSIVE MODE');
    expect(registry.at(-2)).toBe('TRUNCATE packages_nuget_symbol_registry_row_counts');
    expect(registry.at(-1)).toBe(
      'INSERT INTO packages_nuget_symbol_registry_row_counts (state, verification_state, count) ' +
        'SELECT state, verification_state, count(*) FROM packages_nuget_symbol_registry GROUP BY state, verification_state HAVING count(*) > 0',
    );
  });

  it('only uses statements that can run again on an installed counter', () => {
    const creates = registry.filter((s) => s.startsWith('CREATE '));
    expect(creates.length).toBeGreaterThan(0);
    expect(creates.every((s) => /^CREATE (TABLE IF NOT EXISTS|OR REPLACE (FUNCTION|TRIGGER)) /.test(s))).toBe(true);
  });

  it('fires once per statement with transition tables, for every kind of write', () => {
    const triggers = registry.filter((s) => s.includes(' TRIGGER '));
    expect(triggers.map((s) => /AFTER (\w+)/.exec(s)?.[1])).toEqual(['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']);
    expect(triggers.every((s) => s.includes('FOR EACH STATEMENT'))).toBe(true);
    expect(triggers[1]).toContain('REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows');
  });

  it('does not count UPDATEs of an ungrouped table, whose size they cannot change', () => {
    expect(model.filter((s) => s.includes(' TRIGGER ')).map((s) => /AFTER (\w+)/.exec(s)?.[1])).toEqual(['INSERT', 'DELETE', 'TRUNCATE']);
    expect(model.join('\n')).not.toContain("TG_OP = 'UPDATE'");
    expect(model.at(-1)).toBe('INSERT INTO packages_nuget_symbols_row_counts (count) SELECT count(*) FROM packages_nuget_symbols HAVING count(*) > 0');
  });
});
