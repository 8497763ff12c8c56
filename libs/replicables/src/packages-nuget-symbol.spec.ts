import { REPLICABLES, replicableByName } from './index';
import { packagesNugetSymbol } from './packages-nuget-symbol';

describe('packagesNugetSymbol derived names', () => {
  it.each([
    ['name', 'packages_nuget_symbol'],
    ['pluralName', 'packages_nuget_symbols'],
    ['registryTable', 'packages_nuget_symbol_registry'],
    ['stateTable', 'packages_nuget_symbol_states'],
    ['modelForeignKey', 'packages_nuget_symbol_id'],
    ['replicationFlag', 'geo_packages_nuget_symbol_replication'],
    ['forcePrimaryChecksummingFlag', 'geo_packages_nuget_symbol_force_primary_checksumming'],
    ['graphqlRegistryType', 'PackagesNugetSymbolRegistry'],
    ['graphqlRegistryClass', 'PACKAGES_NUGET_SYMBOL_REGISTRY'],
    ['registryClassName', 'Geo::PackagesNugetSymbolRegistry'],
  ] as const)('%s = %s', (key, value) => {
    expect(packagesNugetSymbol[key]).toBe(value);
  });

  it('uses GitLab class names, blob strategy, 8 h timeouts and the default batch sizes', () => {
    expect(packagesNugetSymbol.gitlab).toEqual({ modelClass: 'Packages::Nuget::Symbol', uploaderClass: 'Packages::Nuget::SymbolUploader' });
    expect(packagesNugetSymbol.strategy).toEqual({ kind: 'blob', immutable: true });
    expect(packagesNugetSymbol.events).toEqual(['created', 'deleted', 'checksum_succeeded']);
    expect(packagesNugetSymbol.syncTimeoutSeconds).toBe(28800);
    expect(packagesNugetSymbol.verification).toEqual({ batchSize: 10, reverificationBatchSize: 1000, backfillBatchSize: 1000, timeoutSeconds: 28800 });
    expect(packagesNugetSymbol.source.table).toBe('packages_nuget_symbols');
  });

  it('is frozen', () => {
    expect(Object.isFrozen(packagesNugetSymbol)).toBe(true);
  });
});

describe('REPLICABLES catalogue', () => {
  it('lists the NuGet symbol type and finds it by name', () => {
    expect(REPLICABLES).toContain(packagesNugetSymbol);
    expect(replicableByName('packages_nuget_symbol')).toBe(packagesNugetSymbol);
    expect(replicableByName('nope')).toBeUndefined();
  });

  it('has unique names, registry tables and state tables', () => {
    for (const key of ['name', 'registryTable', 'stateTable', 'replicationFlag'] as const) {
      const values = REPLICABLES.map((r) => r[key]);
      expect(new Set(values).size).toBe(values.length);
    }
  });
});
