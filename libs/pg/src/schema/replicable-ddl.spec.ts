import { defineReplicable } from '@geo/domain';
import { packagesNugetSymbol } from '@geo/replicables';
import { replicableDdl } from './replicable-ddl';
import { replicableRowCountsDdl } from './row-counts-ddl';

// A second, hypothetical type: nothing in the generator may be specific to NuGet symbols.
const packageFile = defineReplicable({
  name: 'package_file',
  title: { one: 'Package File', many: 'Package Files' },
  gitlab: { modelClass: 'Packages::PackageFile', uploaderClass: 'Packages::PackageFileUploader' },
  strategy: { kind: 'blob', immutable: true },
  source: { table: 'packages_package_files', blobKeyColumn: 'file', fileStoreColumn: 'file_store', projectIdColumn: 'project_id', sizeColumn: 'size', attributeColumns: [] },
});

describe('replicableDdl', () => {
  it('derives every name from the definition', () => {
    const ddl = replicableDdl(packageFile);
    const sql = [...ddl.registry.statements, ...ddl.states.statements].join('\n');
    expect(ddl.registry.table).toBe('package_file_registry');
    expect(ddl.states.table).toBe('package_file_states');
    expect(sql).not.toMatch(/nuget/);
    expect(sql).toContain('package_file_id bigint NOT NULL');
    expect(sql).toContain('REFERENCES packages_package_files(id) ON DELETE CASCADE');
    expect(sql).toContain('CREATE UNIQUE INDEX index_package_file_registry_on_package_file_id ON package_file_registry');
    expect(sql).toContain('CREATE INDEX package_file_registry_pending_verification ON package_file_registry');
    expect(sql).toContain('CREATE INDEX index_package_file_states_needs_verification ON package_file_states');
  });

  it('gives the registry no foreign key (the model lives in another database)', () => {
    expect(replicableDdl(packagesNugetSymbol).registry.statements.join('\n')).not.toMatch(/REFERENCES|FOREIGN KEY/);
  });

  it('emits one CREATE TABLE, then the indexes, then the status counters of its database', () => {
    const { registry, states } = replicableDdl(packagesNugetSymbol);
    const counters = replicableRowCountsDdl(packagesNugetSymbol);
    expect(registry.statements[0]).toMatch(/^CREATE TABLE packages_nuget_symbol_registry \(/);
    expect(registry.statements.slice(1, 7).every((s) => s.startsWith('CREATE INDEX ') || s.startsWith('CREATE UNIQUE INDEX '))).toBe(true);
    expect(registry.statements.slice(7)).toEqual(counters.secondary);
    expect(states.statements[0]).toMatch(/^CREATE TABLE packages_nuget_symbol_states \(/);
    expect(states.statements.slice(1, 6).every((s) => s.startsWith('CREATE INDEX ') || s.startsWith('CREATE UNIQUE INDEX '))).toBe(true);
    expect(states.statements.slice(6)).toEqual(counters.primary);
  });
});
